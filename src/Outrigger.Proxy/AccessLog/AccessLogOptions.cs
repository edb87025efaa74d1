namespace Outrigger.Proxy.AccessLog;

/// <summary>
/// One JSON line per request (<c>proxy.access_log</c>) to <see cref="Path"/> (<c>-</c> is standard output). Requests are
/// sampled at <see cref="SampleRate"/>; with <see cref="AlwaysLogErrors"/>, 5xx answers and abandoned requests are always
/// logged. Lines wait in a queue of <see cref="BufferLines"/>; when the writer cannot keep up, lines are dropped and counted,
/// never blocking requests.
/// </summary>
internal sealed record AccessLogOptions(bool Enabled, string Path, double SampleRate, bool AlwaysLogErrors, int BufferLines)
{
    public static AccessLogOptions Disabled { get; } = new(false, "-", 1, true, 8192);
}
