using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Testing;
using Functional.WebRtc.Transport.Dtls;

namespace Functional.WebRtc.PropertyTests.Dtls;

/// <summary>A valid SDP fingerprint text, with its algorithm and digest, in random letter case.</summary>
public sealed record FingerprintText(string Text, string Algorithm, byte[] Digest);

/// <summary>Arbitrary text that may or may not be a fingerprint: random strings and mutations of valid ones.</summary>
public sealed record FuzzText(string Text);

public static class DtlsArbs
{
    private static readonly (string Name, int Length)[] Algorithms = [("sha-1", 20), ("sha-256", 32), ("sha-384", 48), ("sha-512", 64)];

    private static Gen<FingerprintText> Valid =>
        from alg in Gen.Elements(Algorithms)
        from digest in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), alg.Length)
        from lower in ArbMap.Default.GeneratorFor<bool>()
        from upperName in ArbMap.Default.GeneratorFor<bool>()
        let hex = string.Join(':', digest.Select(b => b.ToString(lower ? "x2" : "X2")))
        select new FingerprintText($"{(upperName ? alg.Name.ToUpperInvariant() : alg.Name)} {hex}", alg.Name, digest);

    public static Arbitrary<FingerprintText> FingerprintTexts() => Valid.ToArbitrary();

    public static Arbitrary<FuzzText> FuzzTexts()
    {
        var random = ArbMap.Default.GeneratorFor<string>().Select(s => s ?? "");
        var mutated =
            from v in Valid
            from kind in Gen.Choose(0, 4)
            from at in Gen.Choose(0, v.Text.Length - 1)
            from c in Gen.Elements(':', ' ', 'G', 'a', '0', '\t', '-', '\0', 'é')
            select kind switch
            {
                0 => v.Text.Remove(at, 1),
                1 => v.Text.Insert(at, c.ToString()),
                2 => v.Text[..at],
                3 => v.Text[..at] + c + v.Text[(at + 1)..],
                _ => v.Text + c,
            };
        return Gen.OneOf(random, mutated).Select(t => new FuzzText(t)).ToArbitrary();
    }
}

public class DtlsProperties
{
    [Property(MaxTest = 300, Arbitrary = [typeof(DtlsArbs)])]
    public bool Fingerprint_parse_never_throws_and_successes_round_trip(FuzzText input)
    {
        var result = Fingerprint.Parse(input.Text);
        return result.Match(
            Right: f => Fingerprint.Parse(f.ToString()).Match(Right: g => g == f && g.ToString() == f.ToString(), Left: _ => false),
            Left: e => e.Message.Length > 0);
    }

    [Property(MaxTest = 200, Arbitrary = [typeof(DtlsArbs)])]
    public bool Valid_fingerprints_parse_to_their_digest_and_print_upper_case(FingerprintText v) =>
        Fingerprint.Parse(v.Text).Match(
            Right: f => f.Algorithm == v.Algorithm
                && f.Digest.Span.SequenceEqual(v.Digest)
                && f.ToString() == $"{v.Algorithm} {string.Join(':', v.Digest.Select(b => b.ToString("X2")))}"
                && f.Matches(Fingerprint.Parse(v.Text.ToUpperInvariant()).Match(Right: g => g, Left: _ => f with { })),
            Left: _ => false);

    [Property(MaxTest = 100, Arbitrary = [typeof(DtlsArbs)])]
    public bool Different_digests_do_not_match(FingerprintText a, FingerprintText b)
    {
        var fa = Fingerprint.Parse(a.Text).Match(Right: f => f, Left: _ => throw new Exception());
        var fb = Fingerprint.Parse(b.Text).Match(Right: f => f, Left: _ => throw new Exception());
        var same = a.Algorithm == b.Algorithm && a.Digest.SequenceEqual(b.Digest);
        return fa.Matches(fb) == same;
    }

    [Property(MaxTest = 256)]
    public bool Demux_is_dtls_exactly_for_20_to_63(byte b) =>
        (PacketDemux.Classify(b) == PacketKind.Dtls) == (b is >= 20 and <= 63)
        && (PacketDemux.Classify(b) == PacketKind.Stun) == (b <= 3)
        && (PacketDemux.Classify(b) == PacketKind.RtpOrRtcp) == (b is >= 128 and <= 191);

    [Property(MaxTest = 100)]
    public bool Setup_resolution_is_symmetric(int offerIndex, int answerIndex)
    {
        var values = Enum.GetValues<DtlsSetup>();
        var a = values[Math.Abs(offerIndex % values.Length)];
        var b = values[Math.Abs(answerIndex % values.Length)];
        var ab = DtlsSetupRules.Resolve(a, b);
        var ba = DtlsSetupRules.Resolve(b, a);
        // Whenever one side resolves, the other resolves to the opposite role.
        return ab.Match(
            Right: r => ba.Match(Right: s => r != s && r != DtlsRole.Auto && s != DtlsRole.Auto, Left: _ => false),
            Left: _ => ba.IsLeft);
    }

    [Property(MaxTest = 300)]
    public bool The_change_cipher_spec_gate_never_throws_on_random_datagrams(byte[] datagram, bool asHandshake)
    {
        var d = datagram ?? [];
        if (asHandshake && d.Length > 0) d[0] = 22;
        var gate = new ChangeCipherSpecGate();
        var kept = gate.Filter(d);
        return kept is null || kept.Length <= d.Length;
    }
}
