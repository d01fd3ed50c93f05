// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.RealBareos;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>The one real Bareos of the test run, shared by every test class of the collection.</summary>
public sealed class BareosFixture : BareosWorld, IAsyncLifetime;

[CollectionDefinition(Name)]
public sealed class BareosCollection : ICollectionFixture<BareosFixture>
{
    public const string Name = "real Bareos";
}
