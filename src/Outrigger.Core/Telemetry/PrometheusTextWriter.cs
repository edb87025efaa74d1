using System.Globalization;
using System.Text;

namespace Outrigger.Core.Telemetry;

/// <summary>
/// Writes metric families in the Prometheus text exposition format 0.0.4. Names are sanitized; OpenTelemetry-style
/// dotted names (the runtime's <c>dotnet.gc.collections</c>) become <c>dotnet_gc_collections</c> with a unit suffix;
/// counters end in <c>_total</c>; gauges never end in a histogram suffix (<c>_count</c> becomes <c>_number</c>); histograms get cumulative <c>_bucket{le=…}</c> lines, <c>+Inf</c>, <c>_sum</c>, <c>_count</c>.
/// </summary>
public static class PrometheusTextWriter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static string Write(IReadOnlyList<MetricFamily> families)
    {
        var text = new StringBuilder(4096);
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var family in families)
        {
            var name = MetricName(family);
            if (!written.Add(name))
            {
                continue;
            }

            var type = family.Kind switch
            {
                MetricKind.Counter or MetricKind.ObservedCounter => "counter",
                MetricKind.Histogram => "histogram",
                _ => "gauge",
            };
            var help = family.Instrument.Description ?? "";
            text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help.Length == 0 ? family.Instrument.Name : help)).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            foreach (var point in family.Points)
            {
                if (family.Kind == MetricKind.Histogram)
                {
                    WriteHistogram(text, name, family.Buckets!, point);
                }
                else
                {
                    WriteSample(text, name, point.Tags, null, point.Value);
                }
            }
        }

        return text.ToString();
    }

    /// <summary>The Prometheus name of an instrument.</summary>
    public static string MetricName(MetricFamily family)
    {
        var raw = family.Instrument.Name;
        var dotted = raw.Contains('.', StringComparison.Ordinal);
        var name = Sanitize(raw, allowColon: true);
        if (dotted)
        {
            var unit = family.Instrument.Unit switch
            {
                "s" => "_seconds",
                "By" => "_bytes",
                "ms" => "_milliseconds",
                _ => "",
            };
            if (unit.Length > 0 && !name.EndsWith(unit, StringComparison.Ordinal))
            {
                name += unit;
            }
        }

        if (family.Kind is MetricKind.Counter or MetricKind.ObservedCounter)
        {
            if (!name.EndsWith("_total", StringComparison.Ordinal))
            {
                name += "_total";
            }
        }
        else if (family.Kind != MetricKind.Histogram && (name.EndsWith("_count", StringComparison.Ordinal) || name.EndsWith("_sum", StringComparison.Ordinal) || name.EndsWith("_bucket", StringComparison.Ordinal)))
        {
            // Those suffixes belong to histograms; a gauge such as the runtime's dotnet.assembly.count becomes dotnet_assembly_number.
            name = name[..name.LastIndexOf('_')] + "_number";
        }

        return name;
    }

    public static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeHelp(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static void WriteHistogram(StringBuilder text, string name, double[] bounds, MetricPoint point)
    {
        long cumulative = 0;
        for (var i = 0; i < bounds.Length; i++)
        {
            cumulative += point.Buckets![i];
            WriteSample(text, name + "_bucket", point.Tags, FormatValue(bounds[i]), cumulative);
        }

        WriteSample(text, name + "_bucket", point.Tags, "+Inf", point.Count);
        WriteSample(text, name + "_sum", point.Tags, null, point.Value);
        WriteSample(text, name + "_count", point.Tags, null, point.Count);
    }

    private static void WriteSample(StringBuilder text, string name, IReadOnlyList<KeyValuePair<string, string>> tags, string? le, double value)
    {
        text.Append(name);
        if (tags.Count > 0 || le is not null)
        {
            text.Append('{');
            var first = true;
            foreach (var (key, tagValue) in tags)
            {
                if (!first)
                {
                    text.Append(',');
                }

                first = false;
                text.Append(Sanitize(key, allowColon: false)).Append("=\"").Append(EscapeLabelValue(tagValue)).Append('"');
            }

            if (le is not null)
            {
                text.Append(first ? "" : ",").Append("le=\"").Append(le).Append('"');
            }

            text.Append('}');
        }

        text.Append(' ').Append(FormatValue(value)).Append('\n');
    }

    private static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static string Sanitize(string name, bool allowColon)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            var ok = char.IsAsciiLetter(c) || c == '_' || (allowColon && c == ':') || (i > 0 && char.IsAsciiDigit(c));
            if (!ok)
            {
                chars[i] = '_';
            }
        }

        return chars.Length == 0 ? "_" : new string(chars);
    }
}
