using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace Outrigger.Core.Telemetry;

/// <summary>
/// The standard Prometheus process metrics (<c>process_cpu_seconds_total</c>, <c>process_resident_memory_bytes</c>, …)
/// plus <c>process_private_memory_bytes</c> (RssAnon: the memory a sidecar really costs its pod).
/// </summary>
public sealed class ProcessMetrics : IDisposable
{
    private readonly Meter _meter = OutriggerTelemetry.CreateMeter("Process");

    public ProcessMetrics()
    {
        var start = StartTimeFromProc() ?? StartTimeFromProcess();
        _meter.CreateObservableCounter("process_cpu_seconds_total", () => Environment.CpuUsage.TotalTime.TotalSeconds, "s", "Total user and system CPU time spent in seconds.");
        _meter.CreateObservableGauge("process_resident_memory_bytes", () => Status("VmRSS:") ?? Environment.WorkingSet, "By", "Resident memory size in bytes.");
        _meter.CreateObservableGauge("process_private_memory_bytes", () => Status("RssAnon:") ?? 0, "By", "Anonymous (private) resident memory in bytes (RssAnon).");
        _meter.CreateObservableGauge("process_virtual_memory_bytes", () => Status("VmSize:") ?? 0, "By", "Virtual memory size in bytes.");
        _meter.CreateObservableGauge("process_start_time_seconds", () => start, "s", "Start time of the process since unix epoch in seconds.");
        _meter.CreateObservableGauge("process_open_fds", OpenFileDescriptors, "{fd}", "Number of open file descriptors.");
    }

    public void Dispose() => _meter.Dispose();

    /// <summary>
    /// Start time from <c>/proc/self/stat</c> (ticks since boot, USER_HZ = 100 on Linux) and the boot time in
    /// <c>/proc/stat</c>: what <see cref="Process.StartTime"/> computes, without loading System.Diagnostics.Process.
    /// </summary>
    private static double? StartTimeFromProc()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[19], CultureInfo.InvariantCulture);
            foreach (var line in File.ReadLines("/proc/stat"))
            {
                if (line.StartsWith("btime ", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6), CultureInfo.InvariantCulture) + (ticks / 100.0);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
        }

        return null;
    }

    private static double StartTimeFromProcess() =>
        new DateTimeOffset(Process.GetCurrentProcess().StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;

    private static long? Status(string field)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var kb = line.AsSpan(field.Length).Trim();
                    return long.Parse(kb[..kb.IndexOf(' ')], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    private static int OpenFileDescriptors()
    {
        try
        {
            return Directory.GetFiles("/proc/self/fd").Length;
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
