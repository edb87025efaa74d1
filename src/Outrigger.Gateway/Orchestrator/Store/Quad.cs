using Knhk.Sidecar.V1;

namespace Outrigger.Gateway.Orchestrator.Store;

/// <summary>A stored quad of term ids; <see cref="HasGraph"/> false means the default graph (then <see cref="G"/> is 0).</summary>
internal readonly record struct Quad(ulong S, ulong P, ulong O, bool HasGraph, ulong G) : IComparable<Quad>
{
    public static Quad From(Triple triple) =>
        new(triple.Subject, triple.Predicate, triple.Object, triple.HasGraph, triple.HasGraph ? triple.Graph : 0);

    public Triple ToTriple()
    {
        var triple = new Triple { Subject = S, Predicate = P, Object = O };
        if (HasGraph)
        {
            triple.Graph = G;
        }

        return triple;
    }

    public int CompareTo(Quad other)
    {
        var c = S.CompareTo(other.S);
        c = c != 0 ? c : P.CompareTo(other.P);
        c = c != 0 ? c : O.CompareTo(other.O);
        c = c != 0 ? c : HasGraph.CompareTo(other.HasGraph);
        return c != 0 ? c : G.CompareTo(other.G);
    }
}
