using Knhk.Sidecar.V1;

namespace Outrigger.Gateway.Sidecar;

/// <summary>Checks a transaction before it joins a batch, so a bad one never disturbs the others.</summary>
internal static class TransactionValidator
{
    public const int MaxIdempotencyKeyLength = 128;

    /// <summary>Why <paramref name="transaction"/> cannot be submitted, or null.</summary>
    public static string? Problem(Transaction transaction, int maxTriples)
    {
        var triples = (long)transaction.Additions.Count + transaction.Removals.Count;
        if (triples == 0)
        {
            return "empty transaction: it has no additions and no removals";
        }

        if (triples > maxTriples)
        {
            return $"transaction too large: {triples} triples (additions + removals) exceed the limit of {maxTriples} (gateway.max_transaction_triples)";
        }

        return null;
    }

    /// <summary>Why an app-supplied idempotency key is unusable, or null.</summary>
    public static string? KeyProblem(string key) => key.Length switch
    {
        0 => "the idempotency-key header is empty",
        > MaxIdempotencyKeyLength => $"the idempotency-key header is longer than {MaxIdempotencyKeyLength} characters",
        _ => null,
    };
}
