using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

namespace NlmonPS.Host;

/// <summary>
/// A minimal PSHost: formatted output, errors, warnings and progress go to the console (or to the writers given: the
/// xUnit tests render the module's views through it, as plain text).
/// </summary>
internal sealed class ConsoleHost(TextWriter? output = null, TextWriter? error = null, bool? plain = null) : PSHost
{
    private readonly ConsoleUI _ui = new(output ?? Console.Out, error ?? Console.Error, plain ?? ConsoleUI.PlainConsole);
    public override CultureInfo CurrentCulture => CultureInfo.CurrentCulture;
    public override CultureInfo CurrentUICulture => CultureInfo.CurrentUICulture;
    public override Guid InstanceId { get; } = Guid.NewGuid();
    public override string Name => "nlmonps";
    public override PSHostUserInterface UI => _ui;
    public override Version Version => typeof(ConsoleHost).Assembly.GetName().Version ?? new Version(0, 1);
    public int? ExitCode { get; private set; }
    public override void EnterNestedPrompt() => throw new NotSupportedException();
    public override void ExitNestedPrompt() => throw new NotSupportedException();
    public override void NotifyBeginApplication() { }
    public override void NotifyEndApplication() { }
    public override void SetShouldExit(int exitCode) => ExitCode = exitCode;
}

internal sealed class ConsoleUI(TextWriter output, TextWriter error, bool plain) : PSHostUserInterface
{
    private readonly ConsoleRawUI _raw = new();
    public override PSHostRawUserInterface RawUI => _raw;
    public override Dictionary<string, PSObject> Prompt(string caption, string message, System.Collections.ObjectModel.Collection<FieldDescription> descriptions) =>
        throw new NotSupportedException("nlmonps cannot prompt; pass every parameter on the command line.");
    public override int PromptForChoice(string caption, string message, System.Collections.ObjectModel.Collection<ChoiceDescription> choices, int defaultChoice) =>
        Console.IsInputRedirected ? defaultChoice : ReadChoice(caption, message, choices, defaultChoice);
    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw new NotSupportedException();
    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw new NotSupportedException();
    public override string ReadLine() => Console.ReadLine() ?? "";
    public override SecureString ReadLineAsSecureString() => throw new NotSupportedException();
    // Terminals get the format views' colours; pipes and NO_COLOR get plain text.
    internal static readonly bool PlainConsole = Console.IsOutputRedirected || Environment.GetEnvironmentVariable("NO_COLOR") is not null;
    private string Out(string text) => GetOutputString(text, !plain);
    public override void Write(string value) => output.Write(Out(value));
    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => output.Write(Out(value));
    public override void WriteLine(string value) => output.WriteLine(Out(value));
    public override void WriteErrorLine(string value) => error.WriteLine(Out(value));
    public override void WriteDebugLine(string message) => error.WriteLine("DEBUG: " + message);
    public override void WriteVerboseLine(string message) => error.WriteLine("VERBOSE: " + message);
    public override void WriteWarningLine(string message) => error.WriteLine("WARNING: " + message);
    public override void WriteProgress(long sourceId, ProgressRecord record) { }

    private static int ReadChoice(string caption, string message, System.Collections.ObjectModel.Collection<ChoiceDescription> choices, int defaultChoice)
    {
        Console.Error.WriteLine($"{caption}\n{message}");
        for (int i = 0; i < choices.Count; i++) Console.Error.Write($"[{choices[i].Label.Replace("&", "")}] ");
        Console.Error.Write($"(default {choices[defaultChoice].Label.Replace("&", "")}): ");
        var answer = Console.ReadLine()?.Trim();
        if (string.IsNullOrEmpty(answer)) return defaultChoice;
        for (int i = 0; i < choices.Count; i++)
        {
            var label = choices[i].Label;
            int amp = label.IndexOf('&');
            if (string.Equals(label.Replace("&", ""), answer, StringComparison.OrdinalIgnoreCase) ||
                (amp >= 0 && amp + 1 < label.Length && string.Equals(label[amp + 1].ToString(), answer, StringComparison.OrdinalIgnoreCase)))
                return i;
        }
        return defaultChoice;
    }
}

internal sealed class ConsoleRawUI : PSHostRawUserInterface
{
    private static int Width => Console.IsOutputRedirected ? 160 : Math.Max(80, SafeWidth());
    private static int SafeWidth() { try { return Console.WindowWidth; } catch (IOException) { return 160; } }
    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;
    public override Size BufferSize { get => new(Width, 9999); set { } }
    public override Coordinates CursorPosition { get; set; }
    public override int CursorSize { get; set; }
    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;
    public override bool KeyAvailable => false;
    public override Size MaxPhysicalWindowSize => new(Width, 9999);
    public override Size MaxWindowSize => new(Width, 9999);
    public override Coordinates WindowPosition { get; set; }
    public override Size WindowSize { get => new(Width, 50); set { } }
    public override string WindowTitle { get; set; } = "nlmonps";
    public override void FlushInputBuffer() { }
    public override BufferCell[,] GetBufferContents(Rectangle rectangle) => new BufferCell[0, 0];
    public override KeyInfo ReadKey(ReadKeyOptions options) => throw new NotSupportedException();
    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) { }
    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) { }
    public override void SetBufferContents(Rectangle rectangle, BufferCell fill) { }
}
