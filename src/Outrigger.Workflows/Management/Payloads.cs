using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Outrigger.Workflows.Management;

/// <summary>
/// Workflow inputs, checkpoint values and results are bytes to the engine and JSON by convention (the SDKs serialise
/// with JSON). The management APIs take and show them as JSON text.
/// </summary>
internal static class Payloads
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The bytes of a JSON text given by a caller; empty text means <c>null</c>. Throws with a clear message when it is not JSON.</summary>
    public static byte[] FromJsonText(string json, string what)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return "null"u8.ToArray();
        }

        var bytes = Encoding.UTF8.GetBytes(json);
        try
        {
            using var _ = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new WorkflowApiException(ApiError.InvalidArgument, $"{what} is not valid JSON: {e.Message}");
        }

        return bytes;
    }

    /// <summary>The bytes as text (what the gRPC API's <c>*_json</c> fields carry).</summary>
    public static string ToText(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>The bytes as a JSON value when they hold one, else null (the caller then shows them in base64).</summary>
    public static JsonNode? TryParse(ReadOnlySpan<byte> bytes, out bool isJson)
    {
        isJson = false;
        if (bytes.IsEmpty)
        {
            return null;
        }

        try
        {
            StrictUtf8.GetCharCount(bytes);
            var node = JsonNode.Parse(bytes);
            isJson = true;
            return node;
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>Adds <paramref name="name"/> as a JSON value, or <c>{name}_base64</c> when the bytes are not JSON.</summary>
    public static void Add(JsonObject target, string name, ReadOnlySpan<byte> bytes)
    {
        var node = TryParse(bytes, out var isJson);
        if (isJson)
        {
            target[name] = node;
        }
        else if (!bytes.IsEmpty)
        {
            target[name + "_base64"] = Convert.ToBase64String(bytes);
        }
    }
}
