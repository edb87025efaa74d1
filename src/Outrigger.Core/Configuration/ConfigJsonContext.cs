using System.Text.Json.Serialization;

namespace Outrigger.Core.Configuration;

[JsonSerializable(typeof(string))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext;
