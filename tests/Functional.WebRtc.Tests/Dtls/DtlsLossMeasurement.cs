using System.Diagnostics;
using Functional.WebRtc.Transport.Dtls;
using Xunit.Abstractions;

namespace Functional.WebRtc.Tests.Dtls;

/// <summary>
/// Handshake completion under random loss. By default a small run (8 handshakes at 20% loss, all must complete within
/// 20 s). With DTLS_LOSS_MEASURE=1 it measures N=20 handshakes at 0/10/20/30% loss, with our flight repetition and
/// with BouncyCastle's own retransmission only, and prints the figures (the report quotes them).
/// </summary>
public class DtlsLossMeasurement(ITestOutputHelper output)
{
    private sealed record Outcome(bool Completed, double Millis, string? Why = null);

    [Fact]
    public void Handshakes_under_loss()
    {
        var full = Environment.GetEnvironmentVariable("DTLS_LOSS_MEASURE") == "1";
        if (!full)
        {
            var outcomes = Measure(0.20, 8, DtlsOptions.Default, TimeSpan.FromSeconds(20), seed: 5);
            output.WriteLine(Summary(0.20, "tuned", outcomes));
            Assert.All(outcomes, o => Assert.True(o.Completed));
            return;
        }
        var baseline = DtlsOptions.Default with { InitialRetransmitTimeout = TimeSpan.Zero };
        Measure(0, 4, DtlsOptions.Default, TimeSpan.FromSeconds(10), seed: 1); // warm up the JIT
        foreach (var loss in new[] { 0.0, 0.10, 0.20, 0.30 })
        foreach (var (name, options) in new[] { ("tuned", DtlsOptions.Default), ("bouncycastle-only", baseline) })
            output.WriteLine(Summary(loss, name, Measure(loss, 20, options, TimeSpan.FromSeconds(30), seed: 1000)));
    }

    private static string Summary(double loss, string name, IReadOnlyList<Outcome> outcomes)
    {
        var done = outcomes.Where(o => o.Completed).Select(o => o.Millis).Order().ToArray();
        var median = done.Length == 0 ? double.NaN : done[done.Length / 2];
        var p90 = done.Length == 0 ? double.NaN : done[Math.Min(done.Length - 1, (int)(done.Length * 0.9))];
        var failures = string.Concat(outcomes.Where(o => !o.Completed).Select(o => "\n    failed: " + o.Why));
        return $"loss {loss:P0} {name}: {done.Length}/{outcomes.Count} completed; median {median:0} ms, p90 {p90:0} ms, max {(done.Length == 0 ? double.NaN : done[^1]):0} ms{failures}";
    }

    /// <summary>Runs <paramref name="count"/> handshakes, at most 10 at a time, each on its own lossy link.</summary>
    private static List<Outcome> Measure(double loss, int count, DtlsOptions options, TimeSpan limit, int seed)
    {
        var results = new List<Outcome>();
        for (var batch = 0; batch < count; batch += 10)
        {
            var links = Enumerable.Range(batch, Math.Min(10, count - batch))
                .Select(i => new LossyLink(loss, seed + i, options, options with { })).ToList();
            var clock = Stopwatch.StartNew();
            // Completion times are taken on the DTLS threads (Connected events), not in task continuations, which
            // would wait for thread-pool threads and measure the pool instead.
            var clientDone = new double[links.Count];
            var serverDone = new double[links.Count];
            for (var i = 0; i < links.Count; i++)
            {
                var k = i;
                links[i].Client.Connected += _ => clientDone[k] = clock.Elapsed.TotalMilliseconds;
                links[i].Server.Connected += _ => serverDone[k] = clock.Elapsed.TotalMilliseconds;
            }
            foreach (var l in links) l.Start();
            DtlsTestHelpers.WaitAll(limit + TimeSpan.FromSeconds(2), links.SelectMany(l => new Task[] { l.Client.Handshake, l.Server.Handshake }).ToArray());
            for (var i = 0; i < links.Count; i++)
            {
                var done = Math.Max(clientDone[i], serverDone[i]);
                var ok = clientDone[i] > 0 && serverDone[i] > 0 && done <= limit.TotalMilliseconds;
                results.Add(new Outcome(ok, done, ok ? null
                    : $"client {links[i].Client.State} ({links[i].Client.FailureReason}) at {clientDone[i]:0} ms, server {links[i].Server.State} ({links[i].Server.FailureReason}) at {serverDone[i]:0} ms, link {links[i].Counts}"));
            }
            foreach (var l in links) l.Dispose();
        }
        return results;
    }
}
