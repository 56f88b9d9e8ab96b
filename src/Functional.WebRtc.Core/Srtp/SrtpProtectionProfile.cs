namespace Functional.WebRtc.Core.Srtp;

/// <summary>
/// The DTLS-SRTP protection profiles we support, valued by their IANA ids
/// (RFC 5764 section 4.1.2, RFC 7714 section 14.2).
/// </summary>
public enum SrtpProtectionProfile : ushort
{
    /// <summary>SRTP_AES128_CM_HMAC_SHA1_80 {0x00, 0x01}.</summary>
    AesCm128HmacSha1_80 = 0x0001,
    /// <summary>SRTP_AES128_CM_HMAC_SHA1_32 {0x00, 0x02} (SRTCP still uses an 80-bit tag, RFC 5764 4.1.2).</summary>
    AesCm128HmacSha1_32 = 0x0002,
    /// <summary>SRTP_AEAD_AES_128_GCM {0x00, 0x07}.</summary>
    AeadAes128Gcm = 0x0007,
    /// <summary>SRTP_AEAD_AES_256_GCM {0x00, 0x08}.</summary>
    AeadAes256Gcm = 0x0008,
}

/// <summary>The transform parameters of one protection profile.</summary>
/// <param name="Profile">The profile.</param>
/// <param name="MasterKeyLength">Master (and session) encryption key length in octets.</param>
/// <param name="MasterSaltLength">Master (and session) salt length in octets: 14 for AES-CM, 12 for AEAD.</param>
/// <param name="AuthKeyLength">HMAC-SHA1 session authentication key length in octets (0 for AEAD).</param>
/// <param name="RtpTagLength">Authentication tag appended to SRTP packets.</param>
/// <param name="RtcpTagLength">Authentication tag appended to SRTCP packets.</param>
/// <param name="IsAead">True for the AES-GCM profiles of RFC 7714.</param>
public sealed record SrtpProfileParameters(
    SrtpProtectionProfile Profile,
    int MasterKeyLength,
    int MasterSaltLength,
    int AuthKeyLength,
    int RtpTagLength,
    int RtcpTagLength,
    bool IsAead)
{
    /// <summary>Octets of DTLS exporter output the profile needs: 2 * (key + salt) (RFC 5764 4.2).</summary>
    public int KeyingMaterialLength => 2 * (MasterKeyLength + MasterSaltLength);

    /// <summary>Octets SRTP adds to an RTP packet (the tag; no MKI).</summary>
    public int RtpOverhead => RtpTagLength;

    /// <summary>Octets SRTCP adds to an RTCP packet (E flag and SRTCP index, then the tag).</summary>
    public int RtcpOverhead => RtcpTagLength + 4;
}

public static class SrtpProfiles
{
    public static readonly SrtpProfileParameters AesCm128HmacSha1_80 =
        new(SrtpProtectionProfile.AesCm128HmacSha1_80, 16, 14, 20, 10, 10, false);
    public static readonly SrtpProfileParameters AesCm128HmacSha1_32 =
        new(SrtpProtectionProfile.AesCm128HmacSha1_32, 16, 14, 20, 4, 10, false);
    public static readonly SrtpProfileParameters AeadAes128Gcm =
        new(SrtpProtectionProfile.AeadAes128Gcm, 16, 12, 0, 16, 16, true);
    public static readonly SrtpProfileParameters AeadAes256Gcm =
        new(SrtpProtectionProfile.AeadAes256Gcm, 32, 12, 0, 16, 16, true);

    /// <summary>All supported profiles, most preferred first (what we offer in use_srtp).</summary>
    public static readonly IReadOnlyList<SrtpProfileParameters> All =
        [AeadAes128Gcm, AeadAes256Gcm, AesCm128HmacSha1_80, AesCm128HmacSha1_32];

    /// <summary>The parameters of a supported profile.</summary>
    public static SrtpProfileParameters Parameters(this SrtpProtectionProfile profile) => profile switch
    {
        SrtpProtectionProfile.AesCm128HmacSha1_80 => AesCm128HmacSha1_80,
        SrtpProtectionProfile.AesCm128HmacSha1_32 => AesCm128HmacSha1_32,
        SrtpProtectionProfile.AeadAes128Gcm => AeadAes128Gcm,
        SrtpProtectionProfile.AeadAes256Gcm => AeadAes256Gcm,
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "unsupported SRTP protection profile"),
    };

    /// <summary>Maps a negotiated DTLS-SRTP profile id (use_srtp extension) to a supported profile.</summary>
    public static bool TryFromId(ushort id, out SrtpProtectionProfile profile)
    {
        profile = (SrtpProtectionProfile)id;
        return id is 0x0001 or 0x0002 or 0x0007 or 0x0008;
    }
}
