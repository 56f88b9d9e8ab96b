using LanguageExt;

namespace Functional.WebRtc.Core.Dtls;

/// <summary>Which side of the DTLS handshake we play (RFC 5763 section 5). Auto: not decided yet.</summary>
public enum DtlsRole
{
    Auto,
    Client,
    Server,
}

/// <summary>The SDP <c>a=setup</c> attribute (RFC 4145 section 4, used for DTLS by RFC 5763 section 5).</summary>
public enum DtlsSetup
{
    /// <summary>Either role; what an offer must say (RFC 5763 section 5, JSEP section 5.2.1).</summary>
    ActPass,
    /// <summary>We initiate: DTLS client.</summary>
    Active,
    /// <summary>We wait: DTLS server.</summary>
    Passive,
    /// <summary>Hold the connection (not used by WebRTC; an answer must not say it).</summary>
    HoldConn,
}

/// <summary>Pure rules that turn <c>a=setup</c> values into a DTLS role (RFC 5763 section 5, RFC 8842 section 5, JSEP).</summary>
public static class DtlsSetupRules
{
    public static string ToSdp(this DtlsSetup setup) => setup switch
    {
        DtlsSetup.ActPass => "actpass",
        DtlsSetup.Active => "active",
        DtlsSetup.Passive => "passive",
        DtlsSetup.HoldConn => "holdconn",
        _ => "actpass",
    };

    /// <summary>Parses an <c>a=setup</c> value (case-insensitive). Never throws.</summary>
    public static Either<RtcError, DtlsSetup> Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "actpass" => DtlsSetup.ActPass,
        "active" => DtlsSetup.Active,
        "passive" => DtlsSetup.Passive,
        "holdconn" => DtlsSetup.HoldConn,
        _ => new RtcError.Syntax($"invalid setup attribute value '{value}'"),
    };

    /// <summary>
    /// The setup an offer carries: always actpass (RFC 5763 section 5: "the offerer MUST use the setup
    /// attribute value of setup:actpass"; JSEP 5.2.1). On a re-offer, JSEP 5.2.2 keeps the role already
    /// negotiated: pass it in as <paramref name="established"/>.
    /// </summary>
    public static DtlsSetup OfferSetup(DtlsRole established = DtlsRole.Auto) => established switch
    {
        DtlsRole.Client => DtlsSetup.Active,
        DtlsRole.Server => DtlsSetup.Passive,
        _ => DtlsSetup.ActPass,
    };

    /// <summary>
    /// The setup an answer carries given the offer's setup and our preference (<paramref name="answeringRole"/>,
    /// like Pion's SettingEngine.SetAnsweringDTLSRole; Auto means the JSEP default, active, RFC 8842 section 5.3).
    /// Returns an error for an offer our answer cannot satisfy (holdconn, or a forced role the offer excludes).
    /// </summary>
    public static Either<RtcError, DtlsSetup> AnswerSetup(DtlsSetup offered, DtlsRole answeringRole = DtlsRole.Auto) => offered switch
    {
        // The offerer lets us choose: active unless configured otherwise (JSEP 5.3.1 "active" SHOULD be chosen).
        DtlsSetup.ActPass => answeringRole == DtlsRole.Server ? DtlsSetup.Passive : DtlsSetup.Active,
        // The offerer will be the client: we must be passive.
        DtlsSetup.Active => answeringRole == DtlsRole.Client
            ? new RtcError.InvalidAccess("offer is setup:active, but we are configured to be the DTLS client")
            : DtlsSetup.Passive,
        // The offerer waits: we must be active.
        DtlsSetup.Passive => answeringRole == DtlsRole.Server
            ? new RtcError.InvalidAccess("offer is setup:passive, but we are configured to be the DTLS server")
            : DtlsSetup.Active,
        _ => new RtcError.NotSupported("setup:holdconn is not supported"),
    };

    /// <summary>The role a setup value commits us to: active is the client, passive the server, actpass undecided.</summary>
    public static DtlsRole RoleOf(DtlsSetup ours) => ours switch
    {
        DtlsSetup.Active => DtlsRole.Client,
        DtlsSetup.Passive => DtlsRole.Server,
        _ => DtlsRole.Auto,
    };

    /// <summary>
    /// Our DTLS role once both setups are known (RFC 5763 section 5). <paramref name="local"/> is the value we sent,
    /// <paramref name="remote"/> the value the peer sent. The answer decides: if ours was actpass (we offered),
    /// we take the opposite of the remote answer; if the remote was actpass (we answer), our answer decides.
    /// Incompatible pairs (both active, both passive, actpass answered by actpass, holdconn) are errors.
    /// </summary>
    public static Either<RtcError, DtlsRole> Resolve(DtlsSetup local, DtlsSetup remote) => (local, remote) switch
    {
        (DtlsSetup.ActPass, DtlsSetup.Active) => DtlsRole.Server,
        (DtlsSetup.ActPass, DtlsSetup.Passive) => DtlsRole.Client,
        (DtlsSetup.Active, DtlsSetup.ActPass or DtlsSetup.Passive) => DtlsRole.Client,
        (DtlsSetup.Passive, DtlsSetup.ActPass or DtlsSetup.Active) => DtlsRole.Server,
        (DtlsSetup.ActPass, DtlsSetup.ActPass) => new RtcError.InvalidAccess("an answer must not be setup:actpass (RFC 5763 section 5)"),
        (DtlsSetup.HoldConn, _) or (_, DtlsSetup.HoldConn) => new RtcError.NotSupported("setup:holdconn is not supported"),
        _ => new RtcError.InvalidAccess($"incompatible setup values: local {local.ToSdp()}, remote {remote.ToSdp()}"),
    };
}
