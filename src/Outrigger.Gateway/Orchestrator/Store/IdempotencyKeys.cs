using Knhk.Sidecar.V1;

namespace Outrigger.Gateway.Orchestrator.Store;

/// <summary>The receipts of the newest <c>capacity</c> applied idempotency keys; the oldest are forgotten first.</summary>
internal sealed class IdempotencyKeys(int capacity)
{
    private readonly Dictionary<string, Receipt> _receipts = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public int Count => _receipts.Count;

    public bool TryGet(string key, out Receipt receipt) => _receipts.TryGetValue(key, out receipt!);

    public void Remember(string key, Receipt receipt)
    {
        if (!_receipts.TryAdd(key, receipt))
        {
            return;
        }

        _order.Enqueue(key);
        while (_order.Count > capacity)
        {
            _receipts.Remove(_order.Dequeue());
        }
    }

    /// <summary>Oldest first, so that replaying them into a new instance keeps the same eviction order.</summary>
    public IEnumerable<(string Key, Receipt Receipt)> InOrder()
    {
        foreach (var key in _order)
        {
            yield return (key, _receipts[key]);
        }
    }
}
