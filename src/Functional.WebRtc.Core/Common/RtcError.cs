namespace Functional.WebRtc.Core;

/// <summary>
/// Expected failures as values, named as the W3C WebRTC API names its DOMExceptions.
/// The public API turns them into typed exceptions.
/// </summary>
public abstract record RtcError(string Message)
{
    /// <summary>The W3C/DOMException name ("InvalidStateError", ...).</summary>
    public abstract string Name { get; }
    public override string ToString() => $"{Name}: {Message}";

    /// <summary>The object is closed, or the call is not allowed in the current (signaling) state.</summary>
    public sealed record InvalidState(string Message) : RtcError(Message) { public override string Name => "InvalidStateError"; }
    /// <summary>A change that is not allowed, e.g. certificates in SetConfiguration.</summary>
    public sealed record InvalidModification(string Message) : RtcError(Message) { public override string Name => "InvalidModificationError"; }
    /// <summary>A parameter is not valid in this context (e.g. a description that was not created by this connection).</summary>
    public sealed record InvalidAccess(string Message) : RtcError(Message) { public override string Name => "InvalidAccessError"; }
    /// <summary>Malformed input text or bytes, with what and where.</summary>
    public sealed record Syntax(string Message, int Line = 0, int Offset = -1) : RtcError(Message) { public override string Name => "SyntaxError"; }
    /// <summary>An argument has the wrong type or value (e.g. SdpType unknown).</summary>
    public sealed record Type(string Message) : RtcError(Message) { public override string Name => "TypeError"; }
    /// <summary>A generic operation failure (e.g. codec negotiation failed).</summary>
    public sealed record Operation(string Message) : RtcError(Message) { public override string Name => "OperationError"; }
    /// <summary>A value outside the allowed range (e.g. a too-large data-channel message).</summary>
    public sealed record Range(string Message) : RtcError(Message) { public override string Name => "RangeError"; }
    /// <summary>Not supported by this implementation.</summary>
    public sealed record NotSupported(string Message) : RtcError(Message) { public override string Name => "NotSupportedError"; }
}
