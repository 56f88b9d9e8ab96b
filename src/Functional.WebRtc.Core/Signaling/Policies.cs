namespace Functional.WebRtc;

/// <summary>W3C RTCBundlePolicy.</summary>
public enum BundlePolicy { Balanced, MaxCompat, MaxBundle }

/// <summary>W3C RTCRtcpMuxPolicy (only require is used by browsers today).</summary>
public enum RtcpMuxPolicy { Require, Negotiate }

/// <summary>The media kind of a transceiver or m-section.</summary>
public enum MediaKind { Audio, Video }

/// <summary>W3C RTCRtpTransceiverDirection.</summary>
public enum Direction { SendRecv, SendOnly, RecvOnly, Inactive, Stopped }

public static class Directions
{
    public static string ToText(this Direction d) => d switch
    {
        Direction.SendRecv => "sendrecv",
        Direction.SendOnly => "sendonly",
        Direction.RecvOnly => "recvonly",
        Direction.Inactive => "inactive",
        _ => "stopped",
    };

    public static Direction? Parse(string text) => text switch
    {
        "sendrecv" => Direction.SendRecv,
        "sendonly" => Direction.SendOnly,
        "recvonly" => Direction.RecvOnly,
        "inactive" => Direction.Inactive,
        _ => null,
    };

    public static bool Sends(this Direction d) => d is Direction.SendRecv or Direction.SendOnly;
    public static bool Receives(this Direction d) => d is Direction.SendRecv or Direction.RecvOnly;
    public static Direction Of(bool send, bool receive) =>
        send && receive ? Direction.SendRecv : send ? Direction.SendOnly : receive ? Direction.RecvOnly : Direction.Inactive;

    /// <summary>The direction as the other side sees it (sendonly becomes recvonly).</summary>
    public static Direction Reverse(this Direction d) => d switch
    {
        Direction.SendOnly => Direction.RecvOnly,
        Direction.RecvOnly => Direction.SendOnly,
        _ => d,
    };

    /// <summary>JSEP 5.3.1: the answer's direction is what we want intersected with the reverse of what was offered.</summary>
    public static Direction AnswerTo(this Direction ours, Direction offered) =>
        Of(ours.Sends() && offered.Receives(), ours.Receives() && offered.Sends());
}
