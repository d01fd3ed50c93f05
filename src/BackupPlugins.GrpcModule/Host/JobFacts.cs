// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Protocol.Bareos.Core;
using Grpc.Core;
using V1 = BackupPlugins.Protocol.V1;

namespace BackupPlugins.GrpcModule.Host;

/// <summary>
/// The job's facts as the host takes them (what the shim reads with bareosfd.GetValue), asked of the daemon's Core
/// service all at once. A value the daemon does not have (where, outside a restore) is empty.
/// </summary>
internal static class JobFacts
{
    public static async Task<V1.JobInfo> ReadAsync(Core.CoreClient core, bool hadFatal, CancellationToken cancellationToken)
    {
        Task<long> Int(IntVariable v) => GetInt(core, v, cancellationToken);
        Task<string> Text(StringVariable v) => GetString(core, v, cancellationToken);
        var (id, level, type, since, accurate, status) = (Int(IntVariable.IntJobId), Int(IntVariable.IntJobLevel), Int(IntVariable.IntJobType),
            Int(IntVariable.IntSinceTime), Int(IntVariable.IntAccurate), Int(IntVariable.IntJobStatus));
        var (name, where, regexWhere, client, version) = (Text(StringVariable.StringJobName), Text(StringVariable.StringWhere),
            Text(StringVariable.StringRegexWhere), Text(StringVariable.StringClientName), Text(StringVariable.StringBareosVersion));
        await Task.WhenAll(id, level, type, since, accurate, status, name, where, regexWhere, client, version);
        return new V1.JobInfo
        {
            JobId = (uint)id.Result,
            JobName = name.Result,
            Level = Letter(level.Result),
            Type = Letter(type.Result),
            SinceTime = since.Result,
            Accurate = accurate.Result != 0,
            Where = where.Result,
            RegexWhere = regexWhere.Result,
            Client = client.Result,
            FdVersion = version.Result,
            JobStatus = hadFatal ? "f" : Letter(status.Result),
        };
    }

    private static string Letter(long value) => value is > 0 and < 128 ? ((char)value).ToString() : "";

    private static async Task<long> GetInt(Core.CoreClient core, IntVariable variable, CancellationToken cancellationToken)
    {
        try
        {
            return (await core.Bareos_GetIntAsync(new GetIntRequest { Var = variable }, cancellationToken: cancellationToken)).Value;
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.InvalidArgument or StatusCode.Internal)
        {
            return 0;
        }
    }

    private static async Task<string> GetString(Core.CoreClient core, StringVariable variable, CancellationToken cancellationToken)
    {
        try
        {
            return (await core.Bareos_GetStringAsync(new GetStringRequest { Var = variable }, cancellationToken: cancellationToken)).Value.ToStringUtf8();
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.InvalidArgument or StatusCode.Internal)
        {
            return ""; // not set for this job (the daemon answers INTERNAL for a null string)
        }
    }
}
