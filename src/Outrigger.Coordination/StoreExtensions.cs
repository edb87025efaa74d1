using System.Text;

namespace Outrigger.Coordination;

/// <summary>Shorthands over <see cref="ICoordinationStore"/> for the common single-key cases.</summary>
public static class StoreExtensions
{
    /// <summary>The key's current version, or null when it does not exist.</summary>
    public static async Task<KeyValue?> GetAsync(this ICoordinationStore store, string key, CancellationToken cancellationToken = default)
    {
        var result = await store.RangeAsync(KeyRange.Single(key), null, cancellationToken).ConfigureAwait(false);
        return result.Kvs.Count == 0 ? null : result.Kvs[0];
    }

    public static Task<PutResult> PutAsync(this ICoordinationStore store, string key, string value, long leaseId = 0, CancellationToken cancellationToken = default) =>
        store.PutAsync(key, Encoding.UTF8.GetBytes(value), leaseId, cancellationToken);

    public static Task<DeleteResult> DeleteAsync(this ICoordinationStore store, string key, CancellationToken cancellationToken = default) =>
        store.DeleteAsync(KeyRange.Single(key), cancellationToken);
}
