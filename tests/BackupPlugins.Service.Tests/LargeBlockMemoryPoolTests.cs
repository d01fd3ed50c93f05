// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Service.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace BackupPlugins.Service.Tests;

public sealed class LargeBlockMemoryPoolTests(HostFixture host) : IClassFixture<HostFixture>
{
    [Fact]
    public void Blocks_Are64KiB_AndReturnedBlocksAreReused()
    {
        using var pool = new LargeBlockMemoryPool();
        Assert.Equal(64 << 10, pool.MaxBufferSize);
        var first = pool.Rent(4096);
        Assert.Equal(64 << 10, first.Memory.Length);
        var memory = first.Memory;
        first.Dispose();
        using var second = pool.Rent();
        Assert.True(memory.Equals(second.Memory));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent((64 << 10) + 1));
    }

    [Fact]
    public void TheHost_GivesKestrelTheLargeBlockPools()
    {
        var factory = host.App.Services.GetRequiredService<IMemoryPoolFactory<byte>>();
        using var pool = factory.Create();
        Assert.IsType<LargeBlockMemoryPool>(pool);
    }
}
