using Knhk.Sidecar.V1;
using Outrigger.Gateway.Orchestrator.Store;
using static Outrigger.Gateway.Tests.Acceptance.PythonKgcClient;

namespace Outrigger.Gateway.Tests.Acceptance;

/// <summary>Batching as a grpcio client sees it, against the real orchestrator.</summary>
public sealed class BatchingAcceptanceTests
{
    [Fact]
    public async Task SubmitTransaction_BurstOfEight_FlushesAtOnceAsOneBatch()
    {
        // A long timeout: if the burst were not flushed by size, every call would take 5 s.
        await using var harness = await GatewayHarness.StartAsync(GatewayHarness.FastOptions(batchTimeoutMs: 5000));

        var results = await RunAsync(harness.Target, Enumerable.Range(1, 8).Select(i => Transaction(((ulong)i, 100, 200))));

        Assert.All(results, r => Assert.Equal("OK", r.Code));
        Assert.All(results, r => Assert.Equal(8UL, r.ReceiptField("lanes")));
        Assert.Single(results.Select(r => r.ReceiptField("ticks")).Distinct());
        Assert.All(results, r => Assert.True(r.LatencyMs < 4500, $"took {r.LatencyMs} ms: not flushed by size"));
        Assert.Equal([8], harness.Faults.BatchSizes);
    }

    [Fact]
    public async Task SubmitTransaction_Lone_FlushesAfterTheBatchTimeout()
    {
        await using var harness = await GatewayHarness.StartAsync();

        var result = Assert.Single(await RunAsync(harness.Target, [Transaction((1, 2, 3))]));

        Assert.Equal("OK", result.Code);
        Assert.Equal(1UL, result.ReceiptField("lanes"));
        Assert.InRange(result.LatencyMs, 100, 3000);
        Assert.Equal([1], harness.Faults.BatchSizes);
    }

    [Fact]
    public async Task SubmitTransaction_TwentyConcurrent_MakeBatchesOfEightEightFourAndEachCallerGetsItsOwnReceipt()
    {
        // The timeout is long enough that all twenty arrive before the third batch times out, even on a busy machine.
        await using var harness = await GatewayHarness.StartAsync(GatewayHarness.FastOptions(batchTimeoutMs: 2000));
        var triples = Enumerable.Range(1, 20).Select(i => ((ulong)i, 500UL, (ulong)(1000 + i))).ToArray();

        var results = await RunAsync(harness.Target, triples.Select(t => Transaction(t)));

        Assert.All(results, r => Assert.Equal("OK", r.Code));
        var batches = results.GroupBy(r => r.ReceiptField("ticks")).Select(g => g.ToList()).ToList();
        Assert.Equal([4, 8, 8], batches.Select(b => b.Count).Order());
        Assert.All(batches, b => Assert.All(b, r => Assert.Equal((ulong)b.Count, r.ReceiptField("lanes"))));
        Assert.Equal([4, 8, 8], harness.Faults.BatchSizes.Order());
        for (var i = 0; i < triples.Length; i++)
        {
            var (s, p, o) = triples[i];
            var own = new Transaction { Additions = { new Triple { Subject = s, Predicate = p, Object = o } } };
            Assert.Equal(DeltaHash.Compute(own), results[i].ReceiptField("a_hash"));
        }
    }

    [Fact]
    public async Task SubmitQuery_AfterTransactions_SeesTheCommittedQuads()
    {
        await using var harness = await GatewayHarness.StartAsync(GatewayHarness.FastOptions(batchTimeoutMs: 20));
        await RunAsync(harness.Target, [Transaction((1, 7, 2), (2, 7, 3)), Transaction((1, 8, 3))]);

        var results = await RunAsync(harness.Target, [
            Query("PREFIX k: <urn:knhk:> SELECT ?a ?c WHERE { ?a k:7 ?b . ?b k:7 ?c }"),
            Query("ASK { <urn:knhk:1> <urn:knhk:8> <urn:knhk:3> }"),
            Query("ASK { <urn:knhk:3> <urn:knhk:8> <urn:knhk:1> }"),
        ]);

        Assert.All(results, r => Assert.Equal("OK", r.Code));
        var row = Assert.Single(results[0].Response!["bindings"]!.AsArray())!["bindings"]!;
        Assert.Equal("urn:knhk:1", (string)row["a"]!["iri"]!);
        Assert.Equal("urn:knhk:3", (string)row["c"]!["iri"]!);
        Assert.Equal("true", (string)results[1].Response!["bindings"]![0]!["bindings"]!["ask"]!["literal"]!);
        Assert.Equal("false", (string)results[2].Response!["bindings"]![0]!["bindings"]!["ask"]!["literal"]!);
    }

    [Fact]
    public async Task SubmitTransaction_SameAppIdempotencyKeyTwice_IsAppliedOnceWithOneReceipt()
    {
        await using var harness = await GatewayHarness.StartAsync(GatewayHarness.FastOptions(batchTimeoutMs: 20));
        var call = Transaction((9, 9, 9));
        call["metadata"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonArray("idempotency-key", "order-42"));

        var first = Assert.Single(await RunAsync(harness.Target, [call.DeepClone().AsObject()]));
        var second = Assert.Single(await RunAsync(harness.Target, [call]));

        Assert.Equal("OK", first.Code);
        Assert.Equal("OK", second.Code);
        Assert.Equal(first.ReceiptField("ticks"), second.ReceiptField("ticks"));
        Assert.Equal(1UL, harness.Orchestrator.Store.Sequence);
    }
}
