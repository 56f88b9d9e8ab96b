using System.Security.Cryptography;

namespace Functional.WebRtc.Core.Srtp;

/// <summary>
/// HMAC-SHA1 (RFC 2104) under one session authentication key, computed over a whole message at once (RFC 3711 4.2.1).
/// Mutable scratch owned by one context: not thread-safe. Must be a pure function of key and message.
/// </summary>
public interface ISrtpHmacSha1 : IDisposable
{
    /// <summary>Writes HMAC-SHA1(key, <paramref name="message"/>), 20 octets, to <paramref name="mac"/>.</summary>
    void Compute(ReadOnlySpan<byte> message, Span<byte> mac);
}

/// <summary>
/// Where an SRTP context gets its per-packet primitives that .NET makes slow. The core's default is
/// <see cref="BclSrtpCrypto"/>; the shell may pass a faster, equivalent one (direct libcrypto calls) in
/// <see cref="SrtpOptions.Crypto"/>. Every implementation computes the same bytes, so contexts stay deterministic.
/// </summary>
public interface ISrtpCryptoProvider
{
    /// <summary>A MAC keyed once with <paramref name="key"/> (the SRTP or SRTCP session authentication key).</summary>
    ISrtpHmacSha1 CreateHmacSha1(ReadOnlySpan<byte> key);
}

/// <summary>HMAC-SHA1 through .NET: a reused <see cref="IncrementalHash"/> (OpenSSL's HMAC underneath on Linux).</summary>
public sealed class BclSrtpCrypto : ISrtpCryptoProvider
{
    public static readonly BclSrtpCrypto Instance = new();
    private BclSrtpCrypto() { }

    public ISrtpHmacSha1 CreateHmacSha1(ReadOnlySpan<byte> key) => new Mac(key);

    private sealed class Mac(ReadOnlySpan<byte> key) : ISrtpHmacSha1
    {
        private readonly IncrementalHash _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, key);

        public void Compute(ReadOnlySpan<byte> message, Span<byte> mac)
        {
            _hmac.AppendData(message);
            _hmac.TryGetHashAndReset(mac, out _);
        }

        public void Dispose() => _hmac.Dispose();
    }
}
