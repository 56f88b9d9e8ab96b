using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Stun;
using Functional.WebRtc.Testing;
using LanguageExt;

namespace Functional.WebRtc.PropertyTests.Stun;

public static class StunArbs
{
    private static Gen<string> Text() =>
        Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(Gen.Elements("abcXYZ09:+/ éマ".ToCharArray()), n)).Select(cs => new string(cs));

    private static Gen<IPEndPoint> EndPoint() =>
        Gen.Choose(0, 1).SelectMany(v6 => Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i), v6 == 1 ? 16 : 4))
            .SelectMany(a => Gen.Choose(0, 65535).Select(p => new IPEndPoint(new IPAddress(a), p)));

    private static Gen<byte[]> Blob(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i), n));

    private static Gen<StunAttribute> Attribute() => Gen.OneOf(
        EndPoint().Select(e => (StunAttribute)new StunAttribute.MappedAddress(e)),
        EndPoint().Select(e => (StunAttribute)new StunAttribute.XorMappedAddress(e)),
        EndPoint().Select(e => (StunAttribute)new StunAttribute.XorPeerAddress(e)),
        EndPoint().Select(e => (StunAttribute)new StunAttribute.XorRelayedAddress(e)),
        Text().Select(s => (StunAttribute)new StunAttribute.Username(s)),
        Text().Select(s => (StunAttribute)new StunAttribute.Realm(s)),
        Text().Select(s => (StunAttribute)new StunAttribute.Nonce(s)),
        Text().Select(s => (StunAttribute)new StunAttribute.Software(s)),
        Gen.Choose(300, 699).SelectMany(c => Text().Select(s => (StunAttribute)new StunAttribute.ErrorCode(c, s))),
        Gen.ListOf(Gen.Choose(0, 65535).Select(i => (ushort)i)).Select(l => (StunAttribute)new StunAttribute.UnknownAttributes(l.ToSeq())),
        ArbMap.Default.GeneratorFor<uint>().Select(v => (StunAttribute)new StunAttribute.Priority(v)),
        Gen.Constant((StunAttribute)new StunAttribute.UseCandidate()),
        ArbMap.Default.GeneratorFor<ulong>().Select(v => (StunAttribute)new StunAttribute.IceControlled(v)),
        ArbMap.Default.GeneratorFor<ulong>().Select(v => (StunAttribute)new StunAttribute.IceControlling(v)),
        ArbMap.Default.GeneratorFor<uint>().Select(v => (StunAttribute)new StunAttribute.Lifetime(v)),
        Blob(100).Select(b => (StunAttribute)new StunAttribute.Data(b)),
        Gen.Choose(0, 255).Select(p => (StunAttribute)new StunAttribute.RequestedTransport((byte)p)),
        Gen.Choose(0x4000, 0x4fff).Select(c => (StunAttribute)new StunAttribute.ChannelNumber((ushort)c)),
        Gen.Constant((StunAttribute)new StunAttribute.DontFragment()),
        Blob(20).Select(b => (StunAttribute)new StunAttribute.Unknown(0x8100, b)));

    public static Arbitrary<StunMessage> Messages() =>
        (from c in Gen.Elements(Enum.GetValues<StunClass>())
         from m in Gen.Elements(Enum.GetValues<StunMethod>())
         from hi in ArbMap.Default.GeneratorFor<ulong>()
         from lo in ArbMap.Default.GeneratorFor<uint>()
         from attrs in Gen.ListOf(Attribute())
         select new StunMessage(c, m, new TransactionId(hi, lo), attrs.ToSeq())).ToArbitrary();

    /// <summary>A valid encoded message and a list of (position, xor) mutations.</summary>
    public static Arbitrary<(byte[] Valid, (int At, byte Xor)[] Mutations, int Cut)> Mutated() =>
        (from m in Messages().Generator
         from key in Gen.Elements(false, true)
         from muts in Gen.ArrayOf(Gen.Choose(0, 4000).SelectMany(p => Gen.Choose(1, 255).Select(x => (p, (byte)x))))
         from cut in Gen.Choose(0, 4000)
         select (m.Encode(key ? new byte[] { 1, 2, 3 } : default, key), muts, cut)).ToArbitrary();
}

public class StunProperties
{
    [Property(MaxTest = 300, Arbitrary = new[] { typeof(StunArbs) })]
    public bool EncodeThenParseRoundTrips(StunMessage m)
    {
        var bytes = m.Encode();
        return StunMessage.TryParse(bytes, out var back, out _) && back == m && StunMessage.IsStun(bytes);
    }

    [Property(MaxTest = 300, Arbitrary = new[] { typeof(StunArbs) })]
    public bool IntegrityAndFingerprintVerifyAfterEncoding(StunMessage m, byte[] key)
    {
        var k = key.Length == 0 ? new byte[] { 7 } : key;
        var bytes = m.Encode(k, fingerprint: true);
        return StunIntegrity.CheckMessageIntegrity(bytes, k) && StunIntegrity.CheckFingerprint(bytes) &&
               StunMessage.TryParse(bytes, out _, out _);
    }

    [Property(MaxTest = 500)]
    public bool RandomBytesNeverThrow(byte[] data)
    {
        var ok = StunMessage.TryParse(data, out var m, out var e);
        StunIntegrity.CheckMessageIntegrity(data, new byte[] { 1 });
        StunIntegrity.CheckMessageIntegritySha256(data, new byte[] { 1 });
        StunIntegrity.CheckFingerprint(data);
        ChannelData.TryParse(data, out _, out _, out _);
        return ok ? m is not null : e is RtcError.Syntax;
    }

    [Property(MaxTest = 500, Arbitrary = new[] { typeof(StunArbs) })]
    public bool MutatedMessagesNeverThrow((byte[] Valid, (int At, byte Xor)[] Mutations, int Cut) input)
    {
        var bytes = input.Valid.Take(Math.Max(1, Math.Min(input.Valid.Length, input.Cut))).ToArray();
        foreach (var (at, x) in input.Mutations) bytes[at % bytes.Length] ^= x;
        var ok = StunMessage.TryParse(bytes, out var m, out var e);
        StunIntegrity.CheckMessageIntegrity(bytes, new byte[] { 1, 2, 3 });
        StunIntegrity.CheckFingerprint(bytes);
        return ok ? m is not null : e is RtcError.Syntax;
    }
}
