using System.Diagnostics;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Transport.Dtls;
using Xunit.Abstractions;

namespace Functional.WebRtc.Tests.Dtls;

public class DebugLossTests(ITestOutputHelper output)
{
    [Fact]
    public void Debug_trace()
    {
        for (var seed = 1; seed < 40; seed++) if (!Run(seed)) { Assert.Fail("seed " + seed); }
    }

    private bool Run(int seed)
    {
        var rnd = new Random(seed);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var clock = Stopwatch.StartNew();
        var cc = DtlsCertificate.Generate(); var sc = DtlsCertificate.Generate();
        DtlsEndpoint? c = null, s = null;
        void Deliver(string dir, DtlsEndpoint to, ReadOnlySpan<byte> d)
        {
            bool drop; lock (rnd) drop = rnd.NextDouble() < 0.2;
            var desc = "";
            for (var off = 0; off + 13 <= d.Length;)
            {
                var len = d[off + 11] << 8 | d[off + 12];
                var ep = d[off + 3] << 8 | d[off + 4];
                desc += $"[ct{d[off]} e{ep}{(d[off] == 22 && ep == 0 ? " hs" + d[off + 13] : "")}]";
                off += 13 + len;
            }
            log.Enqueue($"{clock.ElapsedMilliseconds,6} {dir} {(drop ? "DROP" : "    ")} {d.Length} {desc}");
            if (!drop) to.ReceiveDatagram(d);
        }
        c = new DtlsEndpoint(DtlsRole.Client, cc, d => Deliver("C>S", s!, d), [sc.Fingerprint]);
        s = new DtlsEndpoint(DtlsRole.Server, sc, d => Deliver("S>C", c!, d), [cc.Fingerprint]);
        s.Start(); c.Start();
        var ok = DtlsTestHelpers.WaitAll(TimeSpan.FromSeconds(10), c.Handshake, s.Handshake);
        output.WriteLine($"seed {seed} ok {ok} {clock.ElapsedMilliseconds} ms");
        if (!ok) foreach (var l in log) output.WriteLine(l);
        output.WriteLine($"client {c.State} {c.FailureReason} {c.Transport.Counters}; server {s.State} {s.FailureReason} {s.Transport.Counters}");
        c.Close(); s.Close();
        return ok;
    }
}
