using System.Diagnostics.Metrics;

namespace Outrigger.Core.Telemetry;

/// <summary>The series of one instrument. Lookup by tag set is allocation-free once a series exists.</summary>
internal sealed class InstrumentState
{
    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Lock _lock = new();
    private readonly Dictionary<int, List<Series>> _series = [];
    private readonly double[]? _buckets;

    /// <summary>The series found last: hot paths record the same tag set again and again, so it is tried before hashing.</summary>
    private Series? _last;

    public InstrumentState(Instrument instrument)
    {
        Instrument = instrument;
        Kind = instrument switch
        {
            Histogram<double> or Histogram<float> or Histogram<long> or Histogram<int> or Histogram<short> or Histogram<byte> or Histogram<decimal> => MetricKind.Histogram,
            Counter<double> or Counter<float> or Counter<long> or Counter<int> or Counter<short> or Counter<byte> or Counter<decimal> => MetricKind.Counter,
            ObservableCounter<double> or ObservableCounter<float> or ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<short> or ObservableCounter<byte> or ObservableCounter<decimal> => MetricKind.ObservedCounter,
            UpDownCounter<double> or UpDownCounter<float> or UpDownCounter<long> or UpDownCounter<int> or UpDownCounter<short> or UpDownCounter<byte> or UpDownCounter<decimal> => MetricKind.UpDownCounter,
            _ => MetricKind.Gauge,
        };
        IsObservable = instrument.IsObservable;
        if (Kind == MetricKind.Histogram)
        {
            _buckets = BucketsOf(instrument) ?? DefaultBuckets;
        }
    }

    public Instrument Instrument { get; }

    public MetricKind Kind { get; }

    public bool IsObservable { get; }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        lock (_lock)
        {
            var series = Find(tags);
            switch (Kind)
            {
                case MetricKind.Histogram:
                    series.Count++;
                    series.Value += value;
                    var index = Array.BinarySearch(_buckets!, value);
                    series.Buckets![index < 0 ? ~index : index]++;
                    break;
                case MetricKind.Counter or MetricKind.UpDownCounter:
                    series.Value += value;
                    break;
                default:
                    series.Value = value;
                    series.Observed = true;
                    break;
            }
        }
    }

    public void ResetObservations()
    {
        lock (_lock)
        {
            foreach (var list in _series.Values)
            {
                foreach (var series in list)
                {
                    series.Observed = false;
                }
            }
        }
    }

    public MetricFamily? ToFamily()
    {
        lock (_lock)
        {
            var points = new List<MetricPoint>();
            foreach (var list in _series.Values)
            {
                foreach (var series in list)
                {
                    if (IsObservable && !series.Observed)
                    {
                        continue;
                    }

                    points.Add(new MetricPoint(series.Tags, series.Value, series.Count, series.Buckets is null ? null : (long[])series.Buckets.Clone()));
                }
            }

            return points.Count == 0 && IsObservable ? null : new MetricFamily(Instrument, Kind, _buckets, points);
        }
    }

    private Series Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_last is { } last && last.Matches(tags))
        {
            return last;
        }

        return _last = FindOrAdd(tags);
    }

    private Series FindOrAdd(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var hash = 0;
        foreach (var tag in tags)
        {
            hash ^= HashCode.Combine(tag.Key, tag.Value?.GetHashCode() ?? 0);
        }

        if (_series.TryGetValue(hash, out var candidates))
        {
            foreach (var candidate in candidates)
            {
                if (candidate.Matches(tags))
                {
                    return candidate;
                }
            }
        }
        else
        {
            candidates = [];
            _series[hash] = candidates;
        }

        var created = new Series(Normalize(tags), _buckets is null ? null : new long[_buckets.Length + 1]);
        candidates.Add(created);
        return created;
    }

    private static KeyValuePair<string, string>[] Normalize(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new KeyValuePair<string, string>[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            result[i] = new(tags[i].Key, Convert.ToString(tags[i].Value, System.Globalization.CultureInfo.InvariantCulture) ?? "");
        }

        Array.Sort(result, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return result;
    }

    private static double[]? BucketsOf(Instrument instrument)
    {
        IReadOnlyList<double>? boundaries = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries,
            Histogram<long> h => ToDouble(h.Advice?.HistogramBucketBoundaries),
            Histogram<int> h => ToDouble(h.Advice?.HistogramBucketBoundaries),
            _ => null,
        };
        return boundaries is { Count: > 0 } ? [.. boundaries] : null;
    }

    private static List<double>? ToDouble<T>(IReadOnlyList<T>? values)
        where T : System.Numerics.INumber<T>
    {
        if (values is null)
        {
            return null;
        }

        var result = new List<double>(values.Count);
        foreach (var value in values)
        {
            result.Add(double.CreateChecked(value));
        }

        return result;
    }

    private sealed class Series(KeyValuePair<string, string>[] tags, long[]? buckets)
    {
        public KeyValuePair<string, string>[] Tags { get; } = tags;

        public long[]? Buckets { get; } = buckets;

        public double Value { get; set; }

        public long Count { get; set; }

        public bool Observed { get; set; }

        public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length != Tags.Length)
            {
                return false;
            }

            foreach (var tag in tags)
            {
                var found = false;
                foreach (var own in Tags)
                {
                    if (own.Key == tag.Key)
                    {
                        found = own.Value == (tag.Value as string ?? Convert.ToString(tag.Value, System.Globalization.CultureInfo.InvariantCulture));
                        break;
                    }
                }

                if (!found)
                {
                    return false;
                }
            }

            return true;
        }
    }
}

public enum MetricKind
{
    Counter,
    ObservedCounter,
    UpDownCounter,
    Gauge,
    Histogram,
}

/// <summary>One instrument's series at a point in time.</summary>
public sealed record MetricFamily(Instrument Instrument, MetricKind Kind, double[]? Buckets, IReadOnlyList<MetricPoint> Points);

/// <summary>One series: its sorted tags, value (sum for histograms), count and per-bucket counts (last = +Inf overflow).</summary>
public sealed record MetricPoint(IReadOnlyList<KeyValuePair<string, string>> Tags, double Value, long Count, long[]? Buckets);
