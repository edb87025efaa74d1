using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Outrigger.Core.Telemetry;

/// <summary>
/// Aggregates measurements of every instrument of the meters it listens to (Outrigger's own and the runtime's)
/// into series keyed by their tag sets: sums for counters, last values for gauges, bucket counts for
/// histograms. <see cref="Snapshot"/> feeds the Prometheus writer.
/// </summary>
public sealed class MetricsCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _instruments = new();
    private readonly Func<Meter, bool> _meterFilter;

    /// <param name="meterFilter">Which meters to collect; by default <c>Outrigger.*</c> and <c>System.Runtime</c>.</param>
    public MetricsCollector(Func<Meter, bool>? meterFilter = null)
    {
        _meterFilter = meterFilter ?? DefaultFilter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (_meterFilter(instrument.Meter))
            {
                _instruments[instrument] = new InstrumentState(instrument);
                listener.EnableMeasurementEvents(instrument, _instruments[instrument]);
            }
        };
        _listener.MeasurementsCompleted = (instrument, state) => _instruments.TryRemove(instrument, out var removed);
        _listener.SetMeasurementEventCallback<long>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<int>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<short>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<byte>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<double>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<float>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (i, v, tags, state) => ((InstrumentState)state!).Record((double)v, tags));
        _listener.Start();
    }

    public static bool DefaultFilter(Meter meter) =>
        meter.Name == "System.Runtime" || meter.Name == OutriggerTelemetry.Prefix || meter.Name.StartsWith(OutriggerTelemetry.Prefix + ".", StringComparison.Ordinal);

    /// <summary>Polls observable instruments and returns every instrument's current series.</summary>
    public IReadOnlyList<MetricFamily> Snapshot()
    {
        foreach (var state in _instruments.Values)
        {
            if (state.IsObservable)
            {
                state.ResetObservations();
            }
        }

        _listener.RecordObservableInstruments();
        var families = new List<MetricFamily>(_instruments.Count);
        foreach (var state in _instruments.Values)
        {
            if (state.ToFamily() is { } family)
            {
                families.Add(family);
            }
        }

        families.Sort((a, b) => string.CompareOrdinal(a.Instrument.Name, b.Instrument.Name));
        return families;
    }

    public void Dispose() => _listener.Dispose();
}
