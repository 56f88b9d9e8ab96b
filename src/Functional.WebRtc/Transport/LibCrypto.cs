using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Functional.WebRtc.Transport;

/// <summary>
/// The OpenSSL libcrypto that .NET itself loaded, opened for direct calls (the EC math of the DTLS handshake, SRTP's
/// HMAC-SHA1): only on Linux, only libcrypto.so.3, and only when its version is exactly the one .NET uses, so what the
/// direct calls do is what .NET's own wrappers would do, minus their per-call overhead.
/// </summary>
internal static class LibCrypto
{
    /// <summary>The library handle, or false when the direct path must not be used (callers then fall back to the BCL).</summary>
    public static bool TryOpen(out nint library)
    {
        library = 0;
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libcrypto.so.3", out var lib)) return false;
        if (!NativeLibrary.TryGetExport(lib, "OpenSSL_version_num", out var versionNum)) return false;
        ulong version;
        unsafe { version = ((delegate* unmanaged<ulong>)versionNum)(); }
        if ((long)version != SafeEvpPKeyHandle.OpenSslVersion || version < 0x30000000UL) return false;
        library = lib;
        return true;
    }

    /// <summary>An exported function of <paramref name="library"/>; throws when it is missing (the caller falls back).</summary>
    public static nint Export(nint library, string name) =>
        NativeLibrary.TryGetExport(library, name, out var f) ? f : throw new EntryPointNotFoundException(name);
}
