// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Sources.Xen;

/// <summary>
/// An error XAPI answered: its name (<c>SESSION_AUTHENTICATION_FAILED</c>, <c>HANDLE_INVALID</c>, …) and parameters,
/// as XenAPI.py's <c>Failure</c> holds them. <see cref="Exception.Message"/> says it for an operator.
/// </summary>
public sealed class XapiException(string call, string code, IReadOnlyList<string> parameters)
    : Exception($"XAPI {call} failed: {Describe(code, parameters)}")
{
    public string Call { get; } = call;
    public string Code { get; } = code;
    public IReadOnlyList<string> Parameters { get; } = parameters;

    private static string Describe(string code, IReadOnlyList<string> p)
    {
        string At(int i) => i < p.Count ? p[i] : "?";
        return code switch
        {
            "SESSION_AUTHENTICATION_FAILED" => $"the user {At(0)} could not log in ({At(1)}): check the password file",
            "SESSION_INVALID" => "the session ended (XAPI restarted, or it timed out): run again",
            "HOST_IS_SLAVE" => $"this host is a pool member, not the master; the master is {At(0)}",
            "HANDLE_INVALID" => $"the {At(0)} {At(1)} no longer exists (deleted while the job ran?)",
            "UUID_INVALID" => $"there is no {At(0)} with UUID {At(1)}",
            "VM_BAD_POWER_STATE" => $"the VM {At(0)} is {At(2)}, and this needs it {At(1)}",
            "SR_FULL" => $"the storage repository is full: {At(0)} bytes needed, {At(1)} available; free space on the SR or remove old snapshots",
            "OPERATION_BLOCKED" => $"the operation is blocked on {At(0)} ({At(1)})",
            "MESSAGE_METHOD_UNKNOWN" => $"XAPI does not know the call {At(0)}: this XenServer/XCP-ng is older than the call needs",
            _ => $"{code} [{string.Join(", ", p)}]",
        };
    }
}
