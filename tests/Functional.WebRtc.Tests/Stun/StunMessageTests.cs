using System.Buffers.Binary;
using System.Net;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Stun;
using LanguageExt;

namespace Functional.WebRtc.Tests.Stun;

public class StunMessageTests
{
    private static readonly TransactionId Id = new(0x0102030405060708, 0x090a0b0c);

    [Fact]
    public void AllAttributesRoundTrip()
    {
        var m = StunMessage.Create(StunClass.ErrorResponse, StunMethod.Allocate, Id,
            new StunAttribute.MappedAddress(new IPEndPoint(IPAddress.Parse("198.51.100.7"), 1234)),
            new StunAttribute.XorMappedAddress(new IPEndPoint(IPAddress.Parse("::1"), 5)),
            new StunAttribute.XorPeerAddress(new IPEndPoint(IPAddress.Parse("198.51.100.8"), 65535)),
            new StunAttribute.XorRelayedAddress(new IPEndPoint(IPAddress.Parse("fe80::1:2"), 3478)),
            new StunAttribute.Username("a:b"), new StunAttribute.Realm("realm"), new StunAttribute.Nonce("n0nce"),
            new StunAttribute.Software("sw"), new StunAttribute.ErrorCode(438, "Stale Nonce"),
            new StunAttribute.UnknownAttributes(Seq.create<ushort>(0x7777, 0x0001, 0x0002)),
            new StunAttribute.Priority(12345), new StunAttribute.UseCandidate(), new StunAttribute.IceControlled(1UL << 63),
            new StunAttribute.IceControlling(42), new StunAttribute.Lifetime(600), new StunAttribute.Data(new byte[] { 1, 2, 3 }),
            new StunAttribute.RequestedTransport(17), new StunAttribute.ChannelNumber(0x4001), new StunAttribute.DontFragment(),
            new StunAttribute.Unknown(0x8123, new byte[] { 9 }));
        var bytes = m.Encode();
        Assert.True(StunMessage.TryParse(bytes, out var back, out var e), e?.ToString());
        Assert.Equal(m, back);
    }

    [Fact]
    public void IntegrityAndFingerprintAreAppendedWithAdjustedLengths()
    {
        var key = StunIntegrity.ShortTermKey("pwd");
        var bytes = StunMessage.Create(StunClass.Request, StunMethod.Binding, Id, new StunAttribute.Username("x:y")).Encode(key, true);
        Assert.Equal(bytes.Length - 20, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(2)));
        Assert.True(StunIntegrity.CheckMessageIntegrity(bytes, key));
        Assert.True(StunIntegrity.CheckFingerprint(bytes));
        Assert.True(StunMessage.IsStun(bytes));
        var parsed = StunMessage.Parse(bytes);
        Assert.True(parsed.IsRight);
    }

    [Fact]
    public void Sha256IntegrityIsChecked()
    {
        var key = StunIntegrity.ShortTermKey("pwd");
        // Build a message, then append MESSAGE-INTEGRITY-SHA256 by hand (the writer emits SHA-1 MESSAGE-INTEGRITY).
        var body = StunMessage.Create(StunClass.Request, StunMethod.Binding, Id, new StunAttribute.Username("x:y")).Encode();
        var withMac = new byte[body.Length + 36];
        body.CopyTo(withMac, 0);
        BinaryPrimitives.WriteUInt16BigEndian(withMac.AsSpan(2), (ushort)(withMac.Length - 20));
        var mac = System.Security.Cryptography.HMACSHA256.HashData(key, body.AsSpan().ToArray().Also(b => BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)(withMac.Length - 20))));
        BinaryPrimitives.WriteUInt16BigEndian(withMac.AsSpan(body.Length), StunAttributeType.MessageIntegritySha256);
        BinaryPrimitives.WriteUInt16BigEndian(withMac.AsSpan(body.Length + 2), 32);
        mac.CopyTo(withMac, body.Length + 4);
        Assert.True(StunIntegrity.CheckMessageIntegritySha256(withMac, key));
        Assert.False(StunIntegrity.CheckMessageIntegritySha256(withMac, StunIntegrity.ShortTermKey("other")));
        Assert.True(StunMessage.TryParse(withMac, out var m, out _));
        Assert.NotNull(m.Get<StunAttribute.MessageIntegritySha256>());
    }

    [Fact]
    public void Sha256WriterAppendsVerifiableIntegrity()
    {
        var key = StunIntegrity.ShortTermKey("pwd");
        var m = StunMessage.Create(StunClass.Request, StunMethod.Binding, Id, new StunAttribute.Username("x:y"));
        var only = m.EncodeSha256(key, fingerprint: true);
        Assert.True(StunIntegrity.CheckMessageIntegritySha256(only, key));
        Assert.False(StunIntegrity.CheckMessageIntegrity(only, key));
        Assert.True(StunIntegrity.CheckFingerprint(only));
        var both = m.EncodeSha256(key, fingerprint: true, alsoSha1: true);
        Assert.True(StunIntegrity.CheckMessageIntegrity(both, key));
        Assert.True(StunIntegrity.CheckMessageIntegritySha256(both, key));
        Assert.True(StunIntegrity.CheckFingerprint(both));
        Assert.True(StunMessage.TryParse(both, out var back, out _));
        Assert.Equal(4, back.Attributes.Count);
    }

    [Fact]
    public void UnknownComprehensionRequiredAttributesAreListed()
    {
        var bytes = StunMessage.Create(StunClass.Request, StunMethod.Binding, Id,
            new StunAttribute.Unknown(0x0042, new byte[] { 1, 2 }), new StunAttribute.Unknown(0x8042, new byte[] { 1 })).Encode();
        Assert.True(StunMessage.TryParse(bytes, out var m, out _));
        Assert.Equal(Seq.create<ushort>(0x0042), m.UnknownComprehensionRequired);
    }

    [Fact]
    public void AttributesAfterIntegrityAreIgnoredExceptFingerprint()
    {
        var key = StunIntegrity.ShortTermKey("k");
        var bytes = StunMessage.Create(StunClass.Request, StunMethod.Binding, Id).Encode(key, true);
        Assert.True(StunMessage.TryParse(bytes, out var m, out _));
        Assert.Equal(2, m.Attributes.Count);
        Assert.IsType<StunAttribute.Fingerprint>(m.Attributes.Last);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0001000021")]
    [InlineData("c0010000 2112a442 000000000000000000000000")]
    [InlineData("00010004 2112a442 000000000000000000000000")]
    [InlineData("00010004 2112a442 000000000000000000000000 0020 0008")]
    [InlineData("00010008 2112a442 000000000000000000000000 0020 0004 00010000")]
    [InlineData("00010000 2112a443 000000000000000000000000")]
    [InlineData("0001000c 2112a442 000000000000000000000000 0009 0008 00000163 41424344")]
    public void MalformedInputGivesSyntaxErrors(string hex)
    {
        var bytes = Rfc5769Tests.Hex(hex);
        Assert.False(StunMessage.TryParse(bytes, out _, out var e));
        Assert.IsType<RtcError.Syntax>(e);
    }

    [Fact]
    public void ClassAndMethodBitsRoundTrip()
    {
        foreach (StunClass c in Enum.GetValues<StunClass>())
            for (var m = 0; m < 0x1000; m += 7)
            {
                var t = StunMessage.EncodeType(c, (StunMethod)m);
                Assert.Equal((c, (StunMethod)m), StunMessage.DecodeType(t));
            }
        Assert.Equal(0x0101, StunMessage.EncodeType(StunClass.SuccessResponse, StunMethod.Binding));
        Assert.Equal(0x0111, StunMessage.EncodeType(StunClass.ErrorResponse, StunMethod.Binding));
        Assert.Equal(0x0016, StunMessage.EncodeType(StunClass.Indication, StunMethod.Send));
    }

    [Fact]
    public void Crc32MatchesTheCheckValue()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        var data = Enumerable.Range(0, 1000).Select(i => (byte)(i * 31)).ToArray();
        Assert.Equal(Crc32.Compute(data), Crc32.Append(Crc32.Compute(data.AsSpan(0, 333)), data.AsSpan(333)));
    }

    [Fact]
    public void ChannelDataRoundTrips()
    {
        var framed = ChannelData.Encode(0x4001, new byte[] { 1, 2, 3, 4, 5 }, pad: true);
        Assert.Equal(12, framed.Length);
        Assert.True(ChannelData.IsChannelData(framed));
        Assert.True(ChannelData.TryParse(framed, out var ch, out var len, out _));
        Assert.Equal((0x4001, 5), (ch, len));
        Assert.False(ChannelData.TryParse(new byte[] { 0x40, 0x01, 0, 9, 1 }, out _, out _, out var e));
        Assert.IsType<RtcError.Syntax>(e);
        Assert.False(ChannelData.TryParse(new byte[] { 0x50, 0x01, 0, 0 }, out _, out _, out _));
    }
}

internal static class TestExtensions
{
    public static T Also<T>(this T value, Action<T> action) { action(value); return value; }
}
