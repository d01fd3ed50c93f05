// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;

namespace BackupPlugins.Sources.Xen.Backup;

/// <summary>
/// The seed's status log (config-file runs only), one comma-separated line per event, appended:
/// <c>YYYY/MM/DD HH:MM:SS,vmbackup.py,&lt;server&gt;,begin</c>; per VM <c>…,&lt;kind&gt;,&lt;server&gt;,end,SUCCESS &lt;vm&gt;,elapse:&lt;min&gt; size:&lt;G&gt;G</c>
/// (or <c>WARNING</c>/<c>ERROR &lt;vm&gt;,&lt;what failed&gt;</c>); at the end <c>…,vmbackup.py,&lt;server&gt;,end,ERROR|WARNING|SUCCESS,S:x W:y E:z</c>.
/// Monitoring that greps these lines keeps working.
/// </summary>
public sealed class StatusLog(string? path, string server, TimeProvider clock)
{
    public void Begin() => Append($"vmbackup.py,{server},begin");

    public void Vm(string kind, string outcome, string vm, string detail) => Append($"{kind},{server},end,{outcome} {vm},{detail}");

    public void End(string outcome, string summary) => Append($"vmbackup.py,{server},end,{outcome},{summary}");

    private void Append(string text)
    {
        if (path is null)
        {
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.AppendAllText(path, clock.GetLocalNow().ToString("yyyy/MM/dd HH:mm:ss", CultureInfo.InvariantCulture) + "," + text + "\n");
    }
}
