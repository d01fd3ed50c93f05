// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Core.Sessions;

/// <summary>Watches sessions from outside the domain (the host's metrics): each change of phase, and the time spent in the one left.</summary>
public interface ISessionObserver
{
    void PhaseChanged(Session session, SessionPhase left, SessionPhase entered, TimeSpan spent);
}
