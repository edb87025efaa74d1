using System.Text;
using Raftoral.Engine.V1;

namespace Outrigger.Workflows.Management;

/// <summary>
/// Chooses a new workflow's replicas among the eligible nodes: the starting node first when it is eligible (its app
/// is right here), the others by rendezvous hashing of (workflow id, node), so workflows spread evenly and the choice
/// does not depend on who else asks.
/// </summary>
internal static class Placement
{
    public static List<NodeRecord> Choose(IReadOnlyList<NodeRecord> eligible, string workflowId, string localNode, int replicas)
    {
        var ranked = new List<(bool Local, ulong Score, NodeRecord Node)>(eligible.Count);
        foreach (var node in eligible)
        {
            ranked.Add((node.Node == localNode, Score(workflowId, node.Node), node));
        }

        ranked.Sort((a, b) => a.Local != b.Local ? (a.Local ? -1 : 1) : b.Score.CompareTo(a.Score));
        var chosen = new List<NodeRecord>(Math.Min(replicas, ranked.Count));
        for (var i = 0; i < ranked.Count && i < replicas; i++)
        {
            chosen.Add(ranked[i].Node);
        }

        return chosen;
    }

    /// <summary>FNV-1a over "id/node" with a final mix: stable across processes and versions (unlike string.GetHashCode).</summary>
    private static ulong Score(string workflowId, string node)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(workflowId + "/" + node))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        hash = (hash ^ (hash >> 33)) * 0xff51afd7ed558ccdUL;
        return hash ^ (hash >> 33);
    }
}
