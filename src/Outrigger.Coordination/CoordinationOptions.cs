using Outrigger.Coordination.Embedded;
using Outrigger.Core.Configuration;

namespace Outrigger.Coordination;

/// <summary>Which coordination backend a module uses and its settings (a <c>coordination:</c> section).</summary>
public sealed record CoordinationOptions
{
    public const string EmbeddedBackend = "embedded";

    /// <summary><c>embedded</c> (default).</summary>
    public string Backend { get; init; } = EmbeddedBackend;

    public required EmbeddedStoreOptions Embedded { get; init; }

    /// <summary>Reads a <c>coordination:</c> section; the embedded store defaults to <c>{dataDirectory}/coordination</c>.</summary>
    public static CoordinationOptions Read(ConfigReader section, string dataDirectory)
    {
        var backend = section.Choice("backend", EmbeddedBackend, "Where coordination state lives: an embedded on-disk store.", EmbeddedBackend);
        var embedded = section.Section("embedded", "The embedded store (single node, write-ahead log + snapshots).");
        var defaults = new EmbeddedStoreOptions { Directory = Path.Combine(dataDirectory, "coordination") };
        return new CoordinationOptions
        {
            Backend = backend,
            Embedded = defaults with
            {
                Directory = embedded.String("dir", defaults.Directory, "Store directory; one process at a time."),
                SnapshotEvery = embedded.Int("snapshot_every", defaults.SnapshotEvery, "Log records between snapshots.", min: 1),
                HistoryRetention = embedded.Long("history_retention", defaults.HistoryRetention, "Revisions of history kept for watches and old reads (0 = keep all).", min: 0),
            },
        };
    }
}
