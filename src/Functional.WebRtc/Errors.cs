using Functional.WebRtc.Core;

namespace Functional.WebRtc;

/// <summary>Base of the typed exceptions the API throws; <see cref="Name"/> is the W3C DOMException name.</summary>
public abstract class RtcException(RtcError error) : Exception(error.Message)
{
    public RtcError Error { get; } = error;
    public string Name => Error.Name;
    public override string ToString() => $"{GetType().Name} ({Name}): {Message}";

    /// <summary>The exception a core error becomes at the API boundary.</summary>
    public static RtcException From(RtcError error) => error switch
    {
        RtcError.InvalidState e => new InvalidStateException(e),
        RtcError.InvalidModification e => new InvalidModificationException(e),
        RtcError.InvalidAccess e => new InvalidAccessException(e),
        RtcError.Syntax e => new SdpSyntaxException(e),
        RtcError.Type e => new RtcTypeException(e),
        RtcError.Range e => new RtcRangeException(e),
        RtcError.NotSupported e => new RtcNotSupportedException(e),
        _ => new OperationErrorException(error),
    };
}

/// <summary>InvalidStateError: the connection is closed, or the call is not allowed in this state.</summary>
public sealed class InvalidStateException(RtcError error) : RtcException(error);
/// <summary>InvalidModificationError: e.g. the certificates were changed in SetConfiguration.</summary>
public sealed class InvalidModificationException(RtcError error) : RtcException(error);
/// <summary>InvalidAccessError: a description or parameter that does not fit this connection.</summary>
public sealed class InvalidAccessException(RtcError error) : RtcException(error);
/// <summary>SyntaxError: malformed SDP or candidate text; the message names the line.</summary>
public sealed class SdpSyntaxException(RtcError error) : RtcException(error);
/// <summary>TypeError: an argument of the wrong kind (e.g. an unknown SdpType).</summary>
public sealed class RtcTypeException(RtcError error) : RtcException(error);
/// <summary>RangeError: a value out of range (e.g. a data-channel message above max-message-size).</summary>
public sealed class RtcRangeException(RtcError error) : RtcException(error);
/// <summary>NotSupportedError.</summary>
public sealed class RtcNotSupportedException(RtcError error) : RtcException(error);
/// <summary>OperationError: the operation failed for another reason.</summary>
public sealed class OperationErrorException(RtcError error) : RtcException(error);
