using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Outrigger.Proxy.Tests.Infrastructure;

/// <summary>Listens to the proxy's meter and sums counter increments (and the last gauge values) by instrument and cluster.</summary>
internal sealed class MetricsCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Instrument, string Cluster), long> _values = new();

    public MetricsCapture()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Outrigger.Proxy")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags, add: instrument is Counter<long>));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags, add: false));
        _listener.Start();
    }

    /// <summary>The sum of a counter's increments for <paramref name="cluster"/>.</summary>
    public long Get(string instrument, string cluster) => _values.TryGetValue((instrument, cluster), out var value) ? value : 0;

    /// <summary>
    /// The counter's sum a moment after it reached <paramref name="expected"/> (so that a count beyond it shows), or
    /// after 5 s: the proxy may count a request after its response went out.
    /// </summary>
    public async Task<long> WaitForAsync(string instrument, string cluster, long expected)
    {
        for (var waited = 0; Get(instrument, cluster) < expected && waited < 5000; waited += 20)
        {
            await Task.Delay(20);
        }

        await Task.Delay(200);
        return Get(instrument, cluster);
    }

    /// <summary>Observes the gauges now and returns the value for <paramref name="cluster"/>.</summary>
    public long Observe(string instrument, string cluster)
    {
        _listener.RecordObservableInstruments();
        return Get(instrument, cluster);
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, bool add)
    {
        var cluster = "";
        foreach (var tag in tags)
        {
            if (tag.Key == "cluster")
            {
                cluster = tag.Value as string ?? "";
            }
        }

        _values.AddOrUpdate((instrument.Name, cluster), value, (_, old) => add ? old + value : value);
    }
}
