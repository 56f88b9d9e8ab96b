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
    private sealed record Outcome(bool Completed, double Millis);

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
        return $"loss {loss:P0} {name}: {done.Length}/{outcomes.Count} completed; median {median:0} ms, p90 {p90:0} ms, max {(done.Length == 0 ? double.NaN : done[^1]):0} ms";
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
            var done = new double[links.Count];
            foreach (var l in links) l.Start();
            var waits = links.Select((l, i) => Task.WhenAll(l.Client.Handshake, l.Server.Handshake)
                .ContinueWith(t => done[i] = t.IsCompletedSuccessfully ? clock.Elapsed.TotalMilliseconds : -1)).ToArray();
            DtlsTestHelpers.WaitAll(limit + TimeSpan.FromSeconds(2), waits);
            for (var i = 0; i < links.Count; i++) results.Add(new Outcome(done[i] > 0 && done[i] <= limit.TotalMilliseconds, done[i]));
            foreach (var l in links) l.Dispose();
        }
        return results;
    }
}
