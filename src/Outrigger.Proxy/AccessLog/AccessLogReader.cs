using Outrigger.Core.Configuration;

namespace Outrigger.Proxy.AccessLog;

/// <summary>Reads <c>proxy.access_log</c>.</summary>
internal static class AccessLogReader
{
    public static AccessLogOptions Read(ConfigReader log)
    {
        var defaults = AccessLogOptions.Disabled;
        return new AccessLogOptions(
            log.Bool("enabled", log.IsPresent, "Write one JSON line per request (a present section enables it)."),
            log.String("path", defaults.Path, "File to append to; - is standard output."),
            log.Double("sample_rate", defaults.SampleRate, "Share of requests logged (0.0-1.0).", 0, 1),
            log.Bool("always_log_errors", defaults.AlwaysLogErrors, "Log every 5xx and abandoned (499) request whatever sample_rate says."),
            log.Int("buffer_lines", defaults.BufferLines, "Lines queued for the writer; beyond, lines are dropped (proxy_access_log_dropped_total).", 1));
    }
}
