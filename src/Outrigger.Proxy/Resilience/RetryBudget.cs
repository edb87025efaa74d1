namespace Outrigger.Proxy.Resilience;

/// <summary>
/// Envoy's retry budget for one cluster: retries in flight may be at most a share of the requests in flight (never fewer
/// than a minimum), so that under a failure storm retries add a bounded amount of load instead of multiplying it.
/// </summary>
internal sealed class RetryBudget
{
    private int _active;
    private int _retries;

    /// <summary>Client requests in flight through retrying routes of this cluster.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Retries in flight (waiting for their backoff or running).</summary>
    public int Retries => Volatile.Read(ref _retries);

    public void RequestStarted() => Interlocked.Increment(ref _active);

    public void RequestEnded() => Interlocked.Decrement(ref _active);

    /// <summary>Takes a retry slot if the budget allows one; the caller must <see cref="RetryEnded"/> it.</summary>
    public bool TryStartRetry(int percent, int minConcurrent)
    {
        var allowed = Math.Max(minConcurrent, (int)((long)Active * percent / 100));
        while (true)
        {
            var current = Volatile.Read(ref _retries);
            if (current >= allowed)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _retries, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    public void RetryEnded() => Interlocked.Decrement(ref _retries);
}
