using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Outrigger.Client;

/// <summary>Reflection-based JSON contracts (web defaults: camelCase) for the convenience overloads of apps that are not trimmed.</summary>
internal static class Json
{
    private static JsonSerializerOptions? _options;

    [RequiresUnreferencedCode("Uses reflection-based System.Text.Json.")]
    [RequiresDynamicCode("Uses reflection-based System.Text.Json.")]
    public static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)(_options ??= Create()).GetTypeInfo(typeof(T));

    [RequiresUnreferencedCode("Uses reflection-based System.Text.Json.")]
    [RequiresDynamicCode("Uses reflection-based System.Text.Json.")]
    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        options.MakeReadOnly();
        return options;
    }
}
