using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Clusters;

namespace Outrigger.Proxy.LoadBalancing;

/// <summary>
/// <c>maglev</c>: Google's Maglev lookup table (65537 entries). Each endpoint fills the table along its own permutation
/// (offset and skip from two hashes of its address), taking turns in proportion to its weight; a key's hash indexes
/// the table. Lookups are O(1) and spread is even; when an endpoint leaves, few other keys move.
/// </summary>
internal sealed class MaglevBalancer(HashKey key) : ILoadBalancer
{
    internal const int TableSize = 65537;
    private Table? _table;

    public EndpointState Pick(EndpointState[] available, HttpContext? context)
    {
        var table = _table;
        if (table is null || !ReferenceEquals(table.Source, available))
        {
            table = new Table(available);
            _table = table;
        }

        return table.Entries[(int)(key.Of(context) % TableSize)];
    }

    internal sealed class Table
    {
        public Table(EndpointState[] endpoints)
        {
            Source = endpoints;
            var n = endpoints.Length;
            var offsets = new long[n];
            var skips = new long[n];
            var next = new long[n];
            var taken = new long[n];
            var maxWeight = endpoints.Max(e => e.Weight);
            for (var i = 0; i < n; i++)
            {
                offsets[i] = (long)(StableHash.Of(endpoints[i].Authority, seed: 1) % TableSize);
                skips[i] = (long)(StableHash.Of(endpoints[i].Authority, seed: 2) % (TableSize - 1)) + 1;
            }

            var entries = new EndpointState?[TableSize];
            var filled = 0;
            for (long round = 1; filled < TableSize; round++)
            {
                for (var i = 0; i < n && filled < TableSize; i++)
                {
                    if (endpoints[i].Weight * round < (taken[i] + 1) * (long)maxWeight)
                    {
                        continue;
                    }

                    long slot;
                    do
                    {
                        slot = (offsets[i] + (next[i]++ * skips[i])) % TableSize;
                    }
                    while (entries[slot] is not null);

                    entries[slot] = endpoints[i];
                    taken[i]++;
                    filled++;
                }
            }

            Entries = entries!;
        }

        public EndpointState[] Source { get; }

        public EndpointState[] Entries { get; }
    }
}
