// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Core.Sessions;

/// <summary>Where a job is. Backup: Loaded → Prepared → Snapshot → Streaming → Cleaning → Ended.
/// Restore: Loaded → Restoring → Cleaning → Ended. Any phase may go to Failed (cleanup already run).</summary>
public enum SessionPhase { Loaded, Prepared, Snapshot, Streaming, Restoring, Cleaning, Ended, Failed }
