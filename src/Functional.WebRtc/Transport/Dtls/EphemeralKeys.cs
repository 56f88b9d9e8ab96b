using System.Collections.Concurrent;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Tls;

namespace Functional.WebRtc.Transport.Dtls;

/// <summary>An ephemeral ECDH key pair (libcrypto's <paramref name="Native"/> or .NET's <paramref name="Key"/>) with its encoded public point (RFC 8422 section 5.4.1).</summary>
internal sealed record EphemeralKey(ECDiffieHellman? Key, NativeEc.Key? Native, byte[] Point) : IDisposable
{
    public void Dispose() { Key?.Dispose(); Native?.Dispose(); }
}

/// <summary>
/// Ephemeral ECDH key pairs for handshakes, made ahead of time off the handshake's path: a few secp256r1 pairs (the
/// curve every WebRTC peer picks) wait in a pool refilled in the background. Each pair is handed out once and never
/// again (RFC 8422 section 5.4 wants a fresh key per handshake; forward secrecy is unchanged). Other curves, and an
/// empty pool, make the pair on the spot.
/// </summary>
internal static class EphemeralKeys
{
    /// <summary>Pairs kept ready (an in-process pair of peers takes two per connection).</summary>
    public const int Target = 4;

    private static readonly ConcurrentQueue<EphemeralKey> ready = new();
    private static int refilling;

    /// <summary>How many pairs are ready (for tests).</summary>
    public static int Ready => ready.Count;

    /// <summary>A fresh pair on the curve, never handed out before.</summary>
    public static EphemeralKey Take(int namedCurve)
    {
        if (namedCurve == NamedCurve.secp256r1)
        {
            var pooled = ready.TryDequeue(out var key) ? key : null;
            // A pair made on the other path (NativeEc switched since) still works: Agree handles any mix.
            Refill();
            if (pooled is not null) return pooled;
        }
        return Make(namedCurve);
    }

    /// <summary>Starts filling the pool in the background if it is short (cheap to call often).</summary>
    public static void Refill()
    {
        if (ready.Count >= Target || Interlocked.CompareExchange(ref refilling, 1, 0) != 0) return;
        ThreadPool.UnsafeQueueUserWorkItem(_ =>
        {
            try
            {
                while (ready.Count < Target) ready.Enqueue(Make(NamedCurve.secp256r1));
            }
            catch (CryptographicException) { /* the next Take makes its own */ }
            finally { Volatile.Write(ref refilling, 0); }
        }, null);
    }

    private static EphemeralKey Make(int namedCurve)
    {
        return NetEc.NewEphemeralKey(namedCurve);
    }
}
