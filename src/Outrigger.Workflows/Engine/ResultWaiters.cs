using System.Collections.Concurrent;
using Raftoral.Engine.V1;

namespace Outrigger.Workflows.Engine;

/// <summary>Callers waiting for workflows to finish, woken by the engine when it sees a result in the store.</summary>
internal sealed class ResultWaiters
{
    private readonly ConcurrentDictionary<string, List<TaskCompletionSource<ResultRecord>>> _waiters = new(StringComparer.Ordinal);

    /// <summary>Registers a waiter; dispose the returned registration when done (also on success).</summary>
    public Registration Add(string workflowId)
    {
        var source = new TaskCompletionSource<ResultRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        var list = _waiters.GetOrAdd(workflowId, _ => []);
        lock (list)
        {
            list.Add(source);
        }

        return new Registration(this, workflowId, source);
    }

    public void Complete(string workflowId, ResultRecord result)
    {
        if (!_waiters.TryRemove(workflowId, out var list))
        {
            return;
        }

        lock (list)
        {
            foreach (var source in list)
            {
                source.TrySetResult(result);
            }
        }
    }

    private void Remove(string workflowId, TaskCompletionSource<ResultRecord> source)
    {
        if (_waiters.TryGetValue(workflowId, out var list))
        {
            lock (list)
            {
                list.Remove(source);
            }
        }
    }

    public sealed class Registration(ResultWaiters owner, string workflowId, TaskCompletionSource<ResultRecord> source) : IDisposable
    {
        public Task<ResultRecord> Task => source.Task;

        public void Dispose() => owner.Remove(workflowId, source);
    }
}
