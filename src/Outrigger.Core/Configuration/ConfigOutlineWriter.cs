using System.Text;
using System.Text.Json;

namespace Outrigger.Core.Configuration;

/// <summary>Renders a <see cref="ConfigOutline"/> as commented YAML (for <c>generate-config</c>) or JSON (for <c>/config</c>).</summary>
public static class ConfigOutlineWriter
{
    private const string Redacted = "<redacted>";

    public static string ToYaml(ConfigOutline outline, string header)
    {
        var text = new StringBuilder();
        foreach (var line in header.Split('\n'))
        {
            text.Append("# ").Append(line).Append('\n');
        }

        WriteMapping(text, outline, indent: 0, commented: false, firstPrefix: null);
        return text.ToString();
    }

    public static void WriteJson(Utf8JsonWriter writer, ConfigOutline outline)
    {
        writer.WriteStartObject();
        foreach (var entry in outline.Entries)
        {
            if (!entry.IsExample)
            {
                writer.WritePropertyName(entry.Key);
                WriteJsonValue(writer, entry.Value);
            }
        }

        writer.WriteEndObject();
    }

    private static void WriteJsonValue(Utf8JsonWriter writer, OutlineValue value)
    {
        switch (value)
        {
            case OutlineScalar { Text: null }:
                writer.WriteNullValue();
                break;
            case OutlineScalar { Secret: true }:
                writer.WriteStringValue(Redacted);
                break;
            case OutlineScalar { Quoted: true } scalar:
                writer.WriteStringValue(scalar.Text);
                break;
            case OutlineScalar scalar:
                writer.WriteRawValue(scalar.Text is "true" or "false" || double.TryParse(scalar.Text, System.Globalization.CultureInfo.InvariantCulture, out _) ? scalar.Text : JsonSerializer.Serialize(scalar.Text, ConfigJsonContext.Default.String));
                break;
            case OutlineMapping mapping:
                WriteJson(writer, mapping.Outline);
                break;
            case OutlineSequence sequence:
                writer.WriteStartArray();
                foreach (var item in sequence.Items)
                {
                    WriteJsonValue(writer, item);
                }

                writer.WriteEndArray();
                break;
        }
    }

    private static void WriteMapping(StringBuilder text, ConfigOutline outline, int indent, bool commented, string? firstPrefix)
    {
        var first = true;
        foreach (var entry in outline.Entries)
        {
            var isCommented = commented || entry.IsExample;
            var pad = new string(' ', indent);
            if (indent == 0 && text.Length > 0 && text[^1] == '\n' && entry.Value is OutlineMapping)
            {
                text.Append('\n');
            }

            if (entry.Doc.Length > 0)
            {
                var docPad = first && firstPrefix is not null ? firstPrefix.Replace("- ", "", StringComparison.Ordinal) : pad;
                foreach (var docLine in entry.Doc.Split('\n'))
                {
                    text.Append(docPad).Append("# ").Append(docLine).Append('\n');
                }
            }

            var lead = isCommented ? "# " : "";
            var prefix = first && firstPrefix is not null ? firstPrefix : pad;
            first = false;
            switch (entry.Value)
            {
                case OutlineScalar scalar:
                    text.Append(Lead(prefix, lead)).Append(Key(entry.Key)).Append(": ").Append(Scalar(scalar)).Append('\n');
                    break;
                case OutlineMapping { Outline.Entries.Count: 0 }:
                    text.Append(Lead(prefix, lead)).Append(Key(entry.Key)).Append(": {}\n");
                    break;
                case OutlineMapping mapping:
                    text.Append(Lead(prefix, lead)).Append(Key(entry.Key)).Append(":\n");
                    WriteMapping(text, mapping.Outline, indent + 2, isCommented, null);
                    break;
                case OutlineSequence { Items.Count: 0 }:
                    text.Append(Lead(prefix, lead)).Append(Key(entry.Key)).Append(": []\n");
                    break;
                case OutlineSequence sequence:
                    text.Append(Lead(prefix, lead)).Append(Key(entry.Key)).Append(":\n");
                    foreach (var item in sequence.Items)
                    {
                        var itemPad = new string(' ', indent + 2);
                        if (item is OutlineMapping itemMapping)
                        {
                            WriteMapping(text, itemMapping.Outline, indent + 4, isCommented, itemPad + "- ");
                        }
                        else if (item is OutlineScalar itemScalar)
                        {
                            text.Append(Lead(itemPad, lead)).Append("- ").Append(Scalar(itemScalar)).Append('\n');
                        }
                    }

                    break;
            }
        }
    }

    // A commented line keeps its indentation after the '#', so uncommenting it yields valid YAML.
    private static string Lead(string prefix, string lead)
    {
        if (lead.Length == 0)
        {
            return prefix;
        }

        var spaces = prefix.Length - prefix.TrimStart().Length;
        return prefix[..spaces] + lead + prefix[spaces..];
    }

    private static string Key(string key) => NeedsQuotes(key) ? Quote(key) : key;

    private static string Scalar(OutlineScalar scalar) => scalar switch
    {
        { Text: null } => "null",
        { Secret: true } => "\"\"",
        { Quoted: true } => Quote(scalar.Text),
        _ => scalar.Text,
    };

    private static bool NeedsQuotes(string text) =>
        text.Length == 0 || text.AsSpan().IndexOfAny(":#{}[],&*?|<>=!%@`'\"\\ ") >= 0 || char.IsDigit(text[0]) || text is "true" or "false" or "null" or "~";

    private static string Quote(string text) => JsonSerializer.Serialize(text, ConfigJsonContext.Default.String);
}
