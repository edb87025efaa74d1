namespace Outrigger.Proxy.Clusters;

/// <summary>
/// Peak-sensitive exponentially weighted moving average of response latency (Finagle's and Linkerd's "peak EWMA"):
/// a sample above the average replaces it at once, lower samples pull it down with weight <c>1 - e^(-Δt/τ)</c>,
/// and the average decays towards zero while no samples arrive, so an idle endpoint is tried again.
/// </summary>
internal sealed class LatencyEwma(TimeProvider time, TimeSpan decay)
{
    private readonly Lock _lock = new();
    private readonly double _tauTicks = decay.TotalSeconds * time.TimestampFrequency;
    private double _seconds;
    private long _stamp = time.GetTimestamp();

    /// <summary>Whether any sample was recorded yet.</summary>
    public bool HasSamples { get; private set; }

    public void Observe(double seconds)
    {
        var now = time.GetTimestamp();
        lock (_lock)
        {
            var weight = Math.Exp(-Math.Max(0, now - _stamp) / _tauTicks);
            _seconds = seconds > _seconds ? seconds : (_seconds * weight) + (seconds * (1 - weight));
            _stamp = now;
            HasSamples = true;
        }
    }

    /// <summary>The average now, decayed for the time since the last sample.</summary>
    public double Seconds
    {
        get
        {
            lock (_lock)
            {
                return Decayed(time.GetTimestamp());
            }
        }
    }

    private double Decayed(long now) => _seconds * Math.Exp(-Math.Max(0, now - _stamp) / _tauTicks);
}
