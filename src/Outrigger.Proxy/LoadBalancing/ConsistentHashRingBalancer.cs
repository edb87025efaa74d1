using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Clusters;

namespace Outrigger.Proxy.LoadBalancing;

/// <summary>
/// <c>consistent_hash</c>: a ketama-style ring with virtual nodes (400 for the heaviest endpoint, proportionally fewer for
/// lighter ones) placed by hashing the endpoint's address. When an endpoint leaves, only the keys it owned move.
/// </summary>
internal sealed class ConsistentHashRingBalancer(HashKey key) : ILoadBalancer
{
    private const int PointsPerMaxWeight = 400;
    private Ring? _ring;

    public EndpointState Pick(EndpointState[] available, HttpContext? context)
    {
        var ring = _ring;
        if (ring is null || !ReferenceEquals(ring.Source, available))
        {
            ring = new Ring(available);
            _ring = ring;
        }

        return ring.Find(key.Of(context));
    }

    internal sealed class Ring
    {
        private readonly ulong[] _hashes;
        private readonly EndpointState[] _owners;

        public Ring(EndpointState[] endpoints)
        {
            Source = endpoints;
            var maxWeight = endpoints.Max(e => e.Weight);
            var points = new List<(ulong Hash, EndpointState Owner)>();
            foreach (var endpoint in endpoints)
            {
                var count = Math.Max(1, (int)Math.Round((double)PointsPerMaxWeight * endpoint.Weight / maxWeight));
                var seed = StableHash.Of(endpoint.Authority);
                for (var i = 0; i < count; i++)
                {
                    points.Add((StableHash.Mix(seed + (ulong)i), endpoint));
                }
            }

            points.Sort((a, b) => a.Hash.CompareTo(b.Hash));
            _hashes = [.. points.Select(p => p.Hash)];
            _owners = [.. points.Select(p => p.Owner)];
        }

        public EndpointState[] Source { get; }

        public EndpointState Find(ulong hash)
        {
            var index = Array.BinarySearch(_hashes, hash);
            if (index < 0)
            {
                index = ~index;
            }

            return _owners[index == _owners.Length ? 0 : index];
        }
    }
}
