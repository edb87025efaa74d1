namespace Outrigger.Gateway.Batching;

/// <summary>Why a batch was sent.</summary>
internal enum FlushReason
{
    /// <summary>It reached the batch size.</summary>
    Size,

    /// <summary>The batch timeout passed after its first item.</summary>
    Timeout,

    /// <summary>The batcher is stopping and sends what it holds.</summary>
    Shutdown,
}
