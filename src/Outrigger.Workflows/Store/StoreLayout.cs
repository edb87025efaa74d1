using System.Globalization;

namespace Outrigger.Workflows.Store;

/// <summary>What a key under the workflows root holds.</summary>
internal enum KeyKind
{
    Unknown,
    Node,
    Meta,
    Epoch,
    Owner,
    Checkpoint,
    Result,
}

/// <summary>
/// The engine's keys in the coordination store (see docs/workflows.md): <c>nodes/{node}</c>, <c>meta/{id}</c>,
/// <c>epoch/{id}</c>, <c>owner/{id}</c>, <c>cp/{id}/{seq}</c> and <c>result/{id}</c> under one root.
/// </summary>
internal sealed class StoreLayout(string root)
{
    public const string DefaultRoot = "outrigger/workflows/";

    public string Root { get; } = root;

    public string NodesPrefix => Root + "nodes/";

    public string MetaPrefix => Root + "meta/";

    public string OwnerPrefix => Root + "owner/";

    public string EpochPrefix => Root + "epoch/";

    public string ResultPrefix => Root + "result/";

    public string Node(string node) => NodesPrefix + node;

    public string Meta(string id) => MetaPrefix + id;

    public string Owner(string id) => OwnerPrefix + id;

    public string Epoch(string id) => EpochPrefix + id;

    public string Result(string id) => ResultPrefix + id;

    public string CheckpointPrefix(string id) => Root + "cp/" + id + "/";

    /// <summary>Zero-padded so that key order is checkpoint order.</summary>
    public string Checkpoint(string id, ulong sequence) => CheckpointPrefix(id) + sequence.ToString("D10", CultureInfo.InvariantCulture);

    /// <summary>Splits a key into its kind, the node or workflow id, and (for checkpoints) the sequence.</summary>
    public KeyKind Parse(string key, out string id, out ulong sequence)
    {
        id = string.Empty;
        sequence = 0;
        if (!key.StartsWith(Root, StringComparison.Ordinal))
        {
            return KeyKind.Unknown;
        }

        var rest = key.AsSpan(Root.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0)
        {
            return KeyKind.Unknown;
        }

        var kind = rest[..slash];
        var tail = rest[(slash + 1)..];
        if (kind.SequenceEqual("cp"))
        {
            var cut = tail.LastIndexOf('/');
            if (cut <= 0 || !ulong.TryParse(tail[(cut + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out sequence))
            {
                return KeyKind.Unknown;
            }

            id = tail[..cut].ToString();
            return KeyKind.Checkpoint;
        }

        id = tail.ToString();
        return kind switch
        {
            "nodes" => KeyKind.Node,
            "meta" => KeyKind.Meta,
            "epoch" => KeyKind.Epoch,
            "owner" => KeyKind.Owner,
            "result" => KeyKind.Result,
            _ => KeyKind.Unknown,
        };
    }
}
