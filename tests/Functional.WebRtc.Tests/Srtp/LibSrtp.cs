using System.Runtime.InteropServices;
using Functional.WebRtc.Core.Srtp;

namespace Functional.WebRtc.Tests.Srtp;

/// <summary>
/// A thin P/Invoke binding to the system libsrtp2 (Debian 12 ships 2.5.0 as libsrtp2-1), used only by tests as the
/// reference implementation. Structures are laid out as in libsrtp 2.5.0's include/srtp.h (x86-64 LP64).
/// </summary>
internal static unsafe class LibSrtp
{
    private const string Library = "libsrtp2.so.1";

    public static readonly bool IsAvailable = Probe();

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess) return false;
        if (!NativeLibrary.TryLoad(Library, typeof(LibSrtp).Assembly, null, out _)) return false;
        return srtp_init() == 0;
    }

    public const string MissingMessage = "libsrtp2 (Debian package libsrtp2-1) is not installed; run .ci/setup to install it";

    // srtp_crypto_policy_t: six 32-bit fields.
    [StructLayout(LayoutKind.Sequential)]
    public struct CryptoPolicy
    {
        public int CipherType, CipherKeyLength, AuthType, AuthKeyLength, AuthTagLength, SecurityServices;
    }

    // srtp_policy_t (offsets checked with offsetof against the 2.5.0 header: size 128).
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    public struct Policy
    {
        [FieldOffset(0)] public int SsrcType;          // srtp_ssrc_type_t
        [FieldOffset(4)] public uint SsrcValue;
        [FieldOffset(8)] public CryptoPolicy Rtp;
        [FieldOffset(32)] public CryptoPolicy Rtcp;
        [FieldOffset(56)] public IntPtr Key;           // unsigned char *: master key || master salt
        [FieldOffset(64)] public IntPtr Keys;          // srtp_master_key_t **
        [FieldOffset(72)] public nuint NumMasterKeys;  // unsigned long
        [FieldOffset(80)] public IntPtr DeprecatedEkt;
        [FieldOffset(88)] public nuint WindowSize;     // unsigned long
        [FieldOffset(96)] public int AllowRepeatTx;
        [FieldOffset(104)] public IntPtr EncXtnHdr;
        [FieldOffset(112)] public int EncXtnHdrCount;
        [FieldOffset(120)] public IntPtr Next;
    }

    public const int SsrcAnyInbound = 2, SsrcAnyOutbound = 3;

    [DllImport(Library)] public static extern int srtp_init();
    [DllImport(Library)] public static extern int srtp_create(out IntPtr session, ref Policy policy);
    [DllImport(Library)] public static extern int srtp_dealloc(IntPtr session);
    [DllImport(Library)] public static extern int srtp_protect(IntPtr ctx, byte* rtp, ref int length);
    [DllImport(Library)] public static extern int srtp_unprotect(IntPtr ctx, byte* srtp, ref int length);
    [DllImport(Library)] public static extern int srtp_protect_rtcp(IntPtr ctx, byte* rtcp, ref int length);
    [DllImport(Library)] public static extern int srtp_unprotect_rtcp(IntPtr ctx, byte* srtcp, ref int length);
    [DllImport(Library)] public static extern int srtp_crypto_policy_set_from_profile_for_rtp(ref CryptoPolicy policy, int profile);
    [DllImport(Library)] public static extern int srtp_crypto_policy_set_from_profile_for_rtcp(ref CryptoPolicy policy, int profile);
    [DllImport(Library)] public static extern void srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(ref CryptoPolicy policy);
    [DllImport(Library)] public static extern void srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(ref CryptoPolicy policy);
    [DllImport(Library)] public static extern void srtp_crypto_policy_set_aes_gcm_128_16_auth(ref CryptoPolicy policy);
    [DllImport(Library)] public static extern void srtp_crypto_policy_set_aes_gcm_256_16_auth(ref CryptoPolicy policy);
}

/// <summary>One libsrtp session (srtp_t) for one direction, owning its pinned key copy.</summary>
internal sealed unsafe class LibSrtpSession : IDisposable
{
    private readonly IntPtr _session;
    private readonly IntPtr _key;
    private readonly int _keyLength;

    public LibSrtpSession(SrtpProtectionProfile profile, ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt, bool outbound, int windowSize = 1024)
    {
        var policy = default(LibSrtp.Policy);
        // The profile ids of srtp_profile_t equal the DTLS-SRTP ids; _for_rtcp gives SHA1_32 its 80-bit SRTCP tag.
        Check(LibSrtp.srtp_crypto_policy_set_from_profile_for_rtp(ref policy.Rtp, (int)profile), "set rtp policy");
        Check(LibSrtp.srtp_crypto_policy_set_from_profile_for_rtcp(ref policy.Rtcp, (int)profile), "set rtcp policy");
        _keyLength = masterKey.Length + masterSalt.Length;
        _key = Marshal.AllocHGlobal(_keyLength);
        var key = new Span<byte>((void*)_key, _keyLength);
        masterKey.CopyTo(key);
        masterSalt.CopyTo(key[masterKey.Length..]);
        policy.SsrcType = outbound ? LibSrtp.SsrcAnyOutbound : LibSrtp.SsrcAnyInbound;
        policy.Key = _key;
        policy.WindowSize = (nuint)windowSize;
        Check(LibSrtp.srtp_create(out _session, ref policy), "srtp_create");
    }

    private static void Check(int status, string what)
    {
        if (status != 0) throw new InvalidOperationException($"libsrtp {what} failed with srtp_err_status {status}");
    }

    /// <summary>Runs one libsrtp packet function on buffer[..length); returns the status and the new length.</summary>
    public (int Status, int Length) Protect(byte[] buffer, int length) => Run(buffer, length, LibSrtp.srtp_protect);
    public (int Status, int Length) Unprotect(byte[] buffer, int length) => Run(buffer, length, LibSrtp.srtp_unprotect);
    public (int Status, int Length) ProtectRtcp(byte[] buffer, int length) => Run(buffer, length, LibSrtp.srtp_protect_rtcp);
    public (int Status, int Length) UnprotectRtcp(byte[] buffer, int length) => Run(buffer, length, LibSrtp.srtp_unprotect_rtcp);

    private delegate int PacketFunction(IntPtr ctx, byte* packet, ref int length);

    private (int, int) Run(byte[] buffer, int length, PacketFunction f)
    {
        // libsrtp may write SRTP_MAX_TRAILER_LEN + 4 octets past the packet.
        if (buffer.Length < length + 16 + 128 + 4) throw new ArgumentException("buffer needs room for libsrtp's trailer", nameof(buffer));
        fixed (byte* p = buffer)
        {
            int len = length;
            int status = f(_session, p, ref len);
            return (status, len);
        }
    }

    public void Dispose()
    {
        LibSrtp.srtp_dealloc(_session);
        Marshal.FreeHGlobal(_key);
    }
}

/// <summary>A fact that is skipped, saying why, when libsrtp2 is not installed.</summary>
public sealed class LibSrtpFactAttribute : FactAttribute
{
    public LibSrtpFactAttribute()
    {
        if (!LibSrtp.IsAvailable) Skip = LibSrtp.MissingMessage;
    }
}

/// <summary>A theory that is skipped, saying why, when libsrtp2 is not installed.</summary>
public sealed class LibSrtpTheoryAttribute : TheoryAttribute
{
    public LibSrtpTheoryAttribute()
    {
        if (!LibSrtp.IsAvailable) Skip = LibSrtp.MissingMessage;
    }
}
