using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Transport.Dtls;

namespace Functional.WebRtc.Tests.Dtls;

public class FingerprintTests
{
    // A real fingerprint line as Chrome writes it.
    private const string Chrome = "sha-256 0F:74:31:25:CB:A2:13:EC:28:6F:6D:2C:61:FF:5D:C2:BC:B9:DB:3D:98:14:8D:1A:BB:EA:33:0C:A4:60:A8:8E";

    [Fact]
    public void Parses_an_sdp_fingerprint_and_prints_it_back()
    {
        var f = Fingerprint.Parse(Chrome).Ok();
        Assert.Equal("sha-256", f.Algorithm);
        Assert.Equal(32, f.Digest.Length);
        Assert.Equal(0x0F, f.Digest.Span[0]);
        Assert.Equal(0x8E, f.Digest.Span[31]);
        Assert.Equal(Chrome, f.ToString());
    }

    [Fact]
    public void Lower_case_hex_and_algorithm_parse_and_print_in_sdp_form()
    {
        var f = Fingerprint.Parse("SHA-1 ab:cd:ef:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:ab:cd:ef:00").Ok();
        Assert.Equal("sha-1", f.Algorithm);
        Assert.Equal("sha-1 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:00", f.ToString());
    }

    [Theory]
    [InlineData("sha-384", 48)]
    [InlineData("sha-512", 64)]
    public void Longer_hashes_parse(string algorithm, int length)
    {
        var hex = string.Join(':', Enumerable.Range(0, length).Select(i => (i * 7 % 256).ToString("X2")));
        var f = Fingerprint.Parse($"{algorithm} {hex}").Ok();
        Assert.Equal(length, f.Digest.Length);
        Assert.Equal($"{algorithm} {hex}", f.ToString());
    }

    [Theory]
    [InlineData("", "Syntax")]
    [InlineData("sha-256", "Syntax")]
    [InlineData("sha-256 ", "Syntax")]
    [InlineData("md5 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89", "NotSupported")]
    [InlineData("sha-256 AB:CD", "Syntax")]                  // wrong length
    [InlineData("sha-1 AB-CD-EF-01-23-45-67-89-AB-CD-EF-01-23-45-67-89-AB-CD-EF-00", "Syntax")]
    [InlineData("sha-1 GG:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:00", "Syntax")]
    [InlineData("sha-1 ABC:D:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:00", "Syntax")]
    [InlineData("sha-1 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:00:", "Syntax")]
    public void Malformed_fingerprints_are_typed_errors(string text, string kind)
    {
        var error = Fingerprint.Parse(text).Err();
        Assert.Equal(kind, error.GetType().Name);
    }

    [Fact]
    public void Null_is_a_syntax_error() => Assert.IsType<RtcError.Syntax>(Fingerprint.Parse(null).Err());

    [Fact]
    public void Of_hashes_the_der_certificate_like_dotnet_does()
    {
        var cert = DtlsCertificate.Generate();
        var der = cert.Der.ToArray();
        Assert.Equal(SHA256.HashData(der), Fingerprint.Of("sha-256", der).Ok().Digest.ToArray());
        Assert.Equal(SHA1.HashData(der), Fingerprint.Of("SHA-1", der).Ok().Digest.ToArray());
        Assert.Equal(SHA512.HashData(der), Fingerprint.Of("sha-512", der).Ok().Digest.ToArray());
        Assert.Equal(48, Fingerprint.Of("sha-384", der).Ok().Digest.Length);
        Assert.IsType<RtcError.NotSupported>(Fingerprint.Of("md5", der).Err());
        Assert.Equal(cert.Fingerprint, Fingerprint.Of("sha-256", der).Ok());
        // What openssl x509 -fingerprint -sha256 prints, in the same form.
        using var x509 = cert.ToX509();
        Assert.Equal(x509.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256),
            cert.Fingerprint.DigestText.Replace(":", ""));
    }

    [Fact]
    public void Matching_is_case_insensitive_and_by_value()
    {
        var a = Fingerprint.Parse(Chrome).Ok();
        var b = Fingerprint.Parse(Chrome.ToLowerInvariant().Replace("sha-256", "SHA-256")).Ok();
        Assert.True(a.Matches(b));
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        var c = Fingerprint.Parse(Chrome[..^2] + "8F").Ok();
        Assert.False(a.Matches(c));
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void A_certificate_matches_any_of_several_fingerprints_with_any_hash()
    {
        var cert = DtlsCertificate.Generate();
        var other = DtlsCertificate.Generate();
        var der = cert.Der.Span;
        Assert.True(cert.Fingerprint.Matches(der));
        Assert.False(other.Fingerprint.Matches(der));
        Assert.True(Fingerprint.MatchesAny([other.Fingerprint, cert.FingerprintWith("sha-1")], der));
        Assert.False(Fingerprint.MatchesAny([other.Fingerprint], der));
        Assert.False(Fingerprint.MatchesAny([], der));
    }
}

public class DtlsCertificateTests
{
    [Fact]
    public void Generates_a_fresh_ecdsa_p256_self_signed_certificate()
    {
        var a = Certificates.GenerateCertificate();
        var b = Certificates.GenerateCertificate();
        using var x = a.ToX509();
        Assert.Equal("1.2.840.10045.2.1", x.PublicKey.Oid.Value); // id-ecPublicKey
        using var key = x.GetECDsaPublicKey()!;
        Assert.Equal(256, key.KeySize);
        Assert.Equal(x.Subject, x.Issuer);
        Assert.Equal(16, x.SerialNumberBytes.Length);
        Assert.NotEqual(x.SerialNumber, b.ToX509().SerialNumber);
        Assert.NotEqual(a, b);
        Assert.InRange(a.Expires, DateTimeOffset.UtcNow.AddDays(29), DateTimeOffset.UtcNow.AddDays(31));
        Assert.True(a.NotBefore < DateTimeOffset.UtcNow);
        Assert.Equal(a.Der.ToArray(), a.Chain.GetCertificateAt(0).GetDerEncoded());
        Assert.NotNull(a.PrivateKey);
        Assert.True(a.PrivateKey.IsPrivate);
    }

    [Fact]
    public void Equality_is_by_fingerprint()
    {
        var a = DtlsCertificate.Generate(TimeSpan.FromDays(2));
        using var withKey = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(
            a.ToX509().ExportCertificatePem(), ExportKey(a));
        var again = DtlsCertificate.FromX509(withKey);
        Assert.Equal(a, again);
        Assert.True(a == again);
        Assert.Equal(a.GetHashCode(), again.GetHashCode());
        Assert.InRange(a.Expires, DateTimeOffset.UtcNow.AddDays(1.9), DateTimeOffset.UtcNow.AddDays(2.1));
    }

    private static string ExportKey(DtlsCertificate c)
    {
        var info = Org.BouncyCastle.Pkcs.PrivateKeyInfoFactory.CreatePrivateKeyInfo(c.PrivateKey);
        return "-----BEGIN PRIVATE KEY-----\n" + Convert.ToBase64String(info.GetDerEncoded(), Base64FormattingOptions.InsertLineBreaks) + "\n-----END PRIVATE KEY-----";
    }
}
