// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Parallels;

namespace BackupPlugins.Sources.Tests.Parallels;

public sealed class HookLineTests
{
    [Fact]
    public void PlusLogsOnly_MinusRunsUnlogged_OthersBoth_EmptyLinesSkipped() =>
        Assert.Equal(
            [new HookLine("note", true, false), new HookLine("secret cmd", false, true), new HookLine("echo hi", true, true)],
            HookLine.Parse("\n  +note\n\n  -secret cmd\n  echo hi  \n"));
}
