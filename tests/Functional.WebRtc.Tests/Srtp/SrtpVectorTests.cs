using Functional.WebRtc.Core.Srtp;
using static Functional.WebRtc.Tests.Srtp.SrtpTestData;

namespace Functional.WebRtc.Tests.Srtp;

/// <summary>Published test vectors: RFC 3711 appendix B, libsrtp's srtp_driver self-test, RFC 7714 sections 16-17.</summary>
public class SrtpVectorTests
{
    private static readonly byte[] B3MasterKey = Hex("E1F97A0D3E018BE0D64FA32C06DE4139");
    private static readonly byte[] B3MasterSalt = Hex("0EC675AD498AFEEBB6960B3AABE6");

    [Fact]
    public void KeyDerivationMatchesRfc3711AppendixB3()
    {
        var cipherKey = new byte[16];
        var salt = new byte[14];
        var auth = new byte[94];
        SrtpKeyDerivation.Derive(B3MasterKey, B3MasterSalt, SrtpKeyDerivation.RtpEncryptionLabel, cipherKey);
        SrtpKeyDerivation.Derive(B3MasterKey, B3MasterSalt, SrtpKeyDerivation.RtpSaltLabel, salt);
        SrtpKeyDerivation.Derive(B3MasterKey, B3MasterSalt, SrtpKeyDerivation.RtpAuthLabel, auth);
        Assert.Equal(Hex("C61E7A93744F39EE10734AFE3FF7A087"), cipherKey);
        Assert.Equal(Hex("30CBBC08863D8C85D49DB34A9AE1"), salt);
        // The appendix gives 94 octets of auth key material (the multi-block case); SHA1 uses the first 20.
        Assert.Equal(Hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE" +
                         "E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25" +
                         "6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2"), auth);
    }

    [Fact]
    public void Aes256KeyDerivationMatchesRfc6188()
    {
        var key = Hex("F0F04914B513F2763A1B1FA130F10E2998F6F6E43E4309D1E622A0E332B9F1B6");
        var masterSalt = Hex("3B04803DE51EE7C96423AB5B78D2");
        var cipherKey = new byte[32];
        var salt = new byte[14];
        SrtpKeyDerivation.Derive(key, masterSalt, SrtpKeyDerivation.RtpEncryptionLabel, cipherKey);
        SrtpKeyDerivation.Derive(key, masterSalt, SrtpKeyDerivation.RtpSaltLabel, salt);
        Assert.Equal(Hex("5BA1064E30EC51613CAD926C5A28EF731EC7FB397F70A960653CAF06554CD8C4"), cipherKey);
        Assert.Equal(Hex("FA31791685CA444A9E07C6C64E93"), salt);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void KeystreamMatchesRfc3711AppendixB2(bool aesNi)
    {
        using var ctr = new AesCounterMode(Hex("2B7E151628AED2A6ABF7158809CF4F3C"), aesNi);
        if (aesNi && System.Runtime.Intrinsics.X86.Aes.IsSupported) Assert.True(ctr.UsesAesNi);
        Assert.False(!aesNi && ctr.UsesAesNi);
        var iv = Hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000");
        var stream = new byte[0xFF01 * 16];
        ctr.Keystream(iv, stream);
        Assert.Equal(Hex("E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB 41E95B3BB0A2E8DD477901E4FCA894C0"), stream[..48]);
        Assert.Equal(Hex("EC8CDF7398607CB0F2D21675EA9EA1E4"), stream[(0xFEFF * 16)..(0xFF00 * 16)]);
        Assert.Equal(Hex("362B7C3C6773516318A077D7FC5073AE"), stream[(0xFF00 * 16)..(0xFF01 * 16)]);
    }

    [Theory]
    [InlineData(1)] [InlineData(15)] [InlineData(16)] [InlineData(17)] [InlineData(63)] [InlineData(64)] [InlineData(65)] [InlineData(1200)] [InlineData(1409)]
    public void AesNiKeystreamEqualsEcbFallbackAtEveryLength(int length)
    {
        var key = Hex("000102030405060708090a0b0c0d0e0f");
        var iv = Hex("a0a1a2a3a4a5a6a7a8a9aaabacad0000");
        using var fast = new AesCounterMode(key, allowAesNi: true);
        using var slow = new AesCounterMode(key, allowAesNi: false);
        var a = new byte[length];
        var b = new byte[length];
        new Random(length).NextBytes(a);
        a.CopyTo(b, 0);
        fast.Xor(iv, a);
        slow.Xor(iv, b);
        Assert.Equal(b, a);
        Assert.NotEqual(new byte[length], a);
    }

    // libsrtp's srtp_validate (test/srtp_driver.c): master key/salt of B.3, SSRC 0xcafebabe, SEQ 0x1234.
    private static readonly byte[] DriverRtp = Hex("800f1234decafbadcafebabe abababababababababababababababab");
    private static readonly byte[] DriverSrtp = Hex("800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb");
    private static readonly byte[] DriverRtcp = Hex("81c8000bcafebabe abababababababababababababababab");
    private static readonly byte[] DriverSrtcp = Hex("81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AesCmProtectMatchesLibSrtpSelfTest(bool aesNi)
    {
        var options = new SrtpOptions { AllowAesNi = aesNi };
        using var sender = SrtpContext.Create(SrtpProtectionProfile.AesCm128HmacSha1_80, B3MasterKey, B3MasterSalt, options);
        var buffer = WithRoom(DriverRtp);
        Assert.Equal(SrtpResult.Ok, sender.ProtectRtp(buffer, DriverRtp.Length, out int n));
        Assert.Equal(DriverSrtp, buffer[..n]);

        sender.SetNextSrtcpIndex(0xcafebabe, 1); // the reference was made with SRTCP index 1
        buffer = WithRoom(DriverRtcp);
        Assert.Equal(SrtpResult.Ok, sender.ProtectRtcp(buffer, DriverRtcp.Length, out n));
        Assert.Equal(DriverSrtcp, buffer[..n]);

        using var receiver = SrtpContext.Create(SrtpProtectionProfile.AesCm128HmacSha1_80, B3MasterKey, B3MasterSalt, options);
        buffer = WithRoom(DriverSrtp);
        Assert.Equal(SrtpResult.Ok, receiver.UnprotectRtp(buffer, DriverSrtp.Length, out n));
        Assert.Equal(DriverRtp, buffer[..n]);
        buffer = WithRoom(DriverSrtcp);
        Assert.Equal(SrtpResult.Ok, receiver.UnprotectRtcp(buffer, DriverSrtcp.Length, out n));
        Assert.Equal(DriverRtcp, buffer[..n]);
    }

    [Fact]
    public void TruncatedDriverPacketsAreRejected()
    {
        for (int length = 0; length < DriverSrtp.Length; length++)
        {
            using var receiver = SrtpContext.Create(SrtpProtectionProfile.AesCm128HmacSha1_80, B3MasterKey, B3MasterSalt);
            var buffer = (byte[])DriverSrtp.Clone();
            Assert.NotEqual(SrtpResult.Ok, receiver.UnprotectRtp(buffer, length, out _));
        }
        for (int length = 0; length < DriverSrtcp.Length; length++)
        {
            using var receiver = SrtpContext.Create(SrtpProtectionProfile.AesCm128HmacSha1_80, B3MasterKey, B3MasterSalt);
            var buffer = (byte[])DriverSrtcp.Clone();
            Assert.NotEqual(SrtpResult.Ok, receiver.UnprotectRtcp(buffer, length, out _));
        }
    }

    // RFC 7714 sections 16 and 17 start from session keys: key 00..0f (or 00..1f), salt "Quid pro quo".
    private static readonly byte[] GcmSalt = Hex("517569642070726f2071756f");
    private static readonly byte[] GcmRtp = Hex(
        "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573");
    private static readonly byte[] GcmRtcp = Hex(
        "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef");

    private static SrtpContext Gcm(SrtpProtectionProfile profile, bool aesNi = true)
    {
        var key = Hex(profile == SrtpProtectionProfile.AeadAes128Gcm
            ? "000102030405060708090a0b0c0d0e0f"
            : "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        return SrtpContext.FromSessionKeys(profile, new SrtpSessionKeys(key, [], GcmSalt, key, [], GcmSalt), new SrtpOptions { AllowAesNi = aesNi });
    }

    [Theory]
    [InlineData(SrtpProtectionProfile.AeadAes128Gcm, true, Rtp128)]
    [InlineData(SrtpProtectionProfile.AeadAes128Gcm, false, Rtp128)]
    [InlineData(SrtpProtectionProfile.AeadAes256Gcm, true, Rtp256)]
    [InlineData(SrtpProtectionProfile.AeadAes256Gcm, false, Rtp256)]
    public void GcmRtpMatchesRfc7714Section16(SrtpProtectionProfile profile, bool aesNi, string expected)
    {
        var want = Hex(expected);
        using var sender = Gcm(profile, aesNi);
        Assert.Equal(aesNi && AesGcmIntrinsics.IsSupported, sender.UsesAesNi);
        var buffer = WithRoom(GcmRtp);
        Assert.Equal(SrtpResult.Ok, sender.ProtectRtp(buffer, GcmRtp.Length, out int n));
        Assert.Equal(want, buffer[..n]);

        using var receiver = Gcm(profile, aesNi);
        buffer = WithRoom(want);
        Assert.Equal(SrtpResult.Ok, receiver.UnprotectRtp(buffer, want.Length, out n));
        Assert.Equal(GcmRtp, buffer[..n]);
        buffer = WithRoom(want);
        Assert.Equal(SrtpResult.Replayed, receiver.UnprotectRtp(buffer, want.Length, out _));
    }

    private const string Rtp128 =
        "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce";
    private const string Rtp256 =
        "8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238 9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GcmRtcpEncryptionMatchesRfc7714Section17_1(bool aesNi)
    {
        var want = Hex("81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1 730d6fda" +
                       "4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4");
        using var sender = Gcm(SrtpProtectionProfile.AeadAes128Gcm, aesNi);
        sender.SetNextSrtcpIndex(0x4d617273, 0x5d4);
        var buffer = WithRoom(GcmRtcp);
        Assert.Equal(SrtpResult.Ok, sender.ProtectRtcp(buffer, GcmRtcp.Length, out int n));
        Assert.Equal(want, buffer[..n]);

        using var receiver = Gcm(SrtpProtectionProfile.AeadAes128Gcm, aesNi);
        buffer = WithRoom(want);
        Assert.Equal(SrtpResult.Ok, receiver.UnprotectRtcp(buffer, want.Length, out n));
        Assert.Equal(GcmRtcp, buffer[..n]);
    }

    [Theory]
    // 17.2: AEAD_AES_256_GCM with encryption.
    [InlineData(SrtpProtectionProfile.AeadAes256Gcm, "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50" +
        "a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c b26ac3be 800005d4")]
    // 17.3 and 17.4: authentication only (E = 0).
    [InlineData(SrtpProtectionProfile.AeadAes128Gcm, "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61" +
        "deadbeef deadbeef deadbeef deadbeef deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4")]
    [InlineData(SrtpProtectionProfile.AeadAes256Gcm, "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61" +
        "deadbeef deadbeef deadbeef deadbeef deadbeef 91db4afb feee5a97 8fab4393 ed2615fe 000005d4")]
    public void GcmRtcpVerificationMatchesRfc7714Section17(SrtpProtectionProfile profile, string srtcp)
    {
        foreach (var aesNi in new[] { true, false })
            VerifyRtcp(profile, Hex(srtcp), aesNi);
    }

    private static void VerifyRtcp(SrtpProtectionProfile profile, byte[] wire, bool aesNi)
    {
        using var receiver = Gcm(profile, aesNi);
        var buffer = WithRoom(wire);
        Assert.Equal(SrtpResult.Ok, receiver.UnprotectRtcp(buffer, wire.Length, out int n));
        Assert.Equal(GcmRtcp, buffer[..n]);

        var tampered = WithRoom(wire);
        tampered[20] ^= 1;
        using var fresh = Gcm(profile, aesNi);
        Assert.Equal(SrtpResult.AuthenticationFailed, fresh.UnprotectRtcp(tampered, wire.Length, out _));
    }

    [Fact]
    public void IntrinsicGcmEqualsBclAesGcm()
    {
        if (!AesGcmIntrinsics.IsSupported) return; // nothing to compare: the BCL engine is the only one in use
        var rng = new Random(5);
        foreach (bool wide in new[] { true, false })
        foreach (int keyLength in new[] { 16, 32 })
            for (int t = 0; t < 200; t++)
            {
                var key = new byte[keyLength];
                var nonce = new byte[12];
                var aad = new byte[t % 4 == 0 ? rng.Next(0, 600) : rng.Next(0, 80)];
                var plain = new byte[t < 100 ? rng.Next(0, 70) : rng.Next(0, 1500)];
                rng.NextBytes(key); rng.NextBytes(nonce); rng.NextBytes(aad); rng.NextBytes(plain);
                var expected = new byte[plain.Length];
                var expectedTag = new byte[16];
                using (var bcl = new System.Security.Cryptography.AesGcm(key, 16)) bcl.Encrypt(nonce, plain, expected, expectedTag, aad);
                using var ours = new AesGcmIntrinsics(key, allowWide: wide);
                Assert.False(!wide && ours.UsesWideGhash);
                var data = (byte[])plain.Clone();
                var tag = new byte[16];
                ours.Encrypt(nonce, data, tag, aad);
                Assert.Equal(expected, data);
                Assert.Equal(expectedTag, tag);
                tag[t % 16] ^= 0x80;
                Assert.False(ours.Decrypt(nonce, data, tag, aad));
                Assert.Equal(expected, data); // a failed check leaves the data alone
                tag[t % 16] ^= 0x80;
                Assert.True(ours.Decrypt(nonce, data, tag, aad));
                Assert.Equal(plain, data);
            }
    }

    [Fact]
    public void AesCmSrtcpWithoutEncryptionIsAuthenticatedOnly()
    {
        // E = 0 (RFC 3711 3.4): the payload stays in the clear, the tag covers header || payload || E || index.
        var encKey = Hex("000102030405060708090a0b0c0d0e0f");
        var authKey = Hex("101112131415161718191a1b1c1d1e1f20212223");
        var salt = Hex("a0a1a2a3a4a5a6a7a8a9aaabacad");
        using var receiver = SrtpContext.FromSessionKeys(SrtpProtectionProfile.AesCm128HmacSha1_80,
            new SrtpSessionKeys(encKey, authKey, salt, encKey, authKey, salt));
        var rtcp = DriverRtcp;
        var authenticated = rtcp.Concat(Hex("00000007")).ToArray();
        var tag = System.Security.Cryptography.HMACSHA1.HashData(authKey, authenticated)[..10];
        var wire = authenticated.Concat(tag).ToArray();
        var buffer = WithRoom(wire);
        Assert.Equal(SrtpResult.Ok, receiver.UnprotectRtcp(buffer, wire.Length, out int n));
        Assert.Equal(rtcp, buffer[..n]);
        Assert.Equal(SrtpResult.Replayed, receiver.UnprotectRtcp(WithRoom(wire), wire.Length, out _));
        wire[^1] ^= 1;
        using var fresh = SrtpContext.FromSessionKeys(SrtpProtectionProfile.AesCm128HmacSha1_80,
            new SrtpSessionKeys(encKey, authKey, salt, encKey, authKey, salt));
        Assert.Equal(SrtpResult.AuthenticationFailed, fresh.UnprotectRtcp(WithRoom(wire), wire.Length, out _));
    }
}
