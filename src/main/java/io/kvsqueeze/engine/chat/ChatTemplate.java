package io.kvsqueeze.engine.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import io.kvsqueeze.engine.gguf.GgufMetadata;
import io.kvsqueeze.engine.tokenizer.Tokenizer;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import jinjava.javax.el.CompositeELResolver;

/**
 * Renders a conversation into the prompt text a model was trained on, from the Jinja template in the GGUF
 * ({@code tokenizer.chat_template}), the way Hugging Face's {@code apply_chat_template} does: variables
 * {@code messages}, {@code add_generation_prompt}, {@code bos_token} and {@code eos_token}; the helpers
 * {@code raise_exception(message)} and {@code strftime_now(format)}; {@code trim_blocks} and
 * {@code lstrip_blocks} on; one trailing newline of the template dropped; Python string methods such as
 * {@code .strip()} and {@code .startswith()}; and a Python-style {@code tojson}.
 *
 * <p>Rendering uses Jinjava, which covers the Jinja that chat templates use ({@code loop.first/last},
 * {@code namespace()}, slicing, filters, macros). Known gaps against Python's Jinja: loop filters
 * ({@code {% for m in messages if ... %}}) are not applied; {@code not a == b} is read as
 * {@code (not a) == b}; booleans print as {@code true}/{@code false} and None as nothing, not
 * {@code True}/{@code False}/{@code None}.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class ChatTemplate {
    /** ChatML, used when a GGUF has no template: {@code <|im_start|>role\ncontent<|im_end|>\n} per message. */
    public static final String CHATML_SOURCE = "{% for message in messages %}"
            + "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    // The render's start time, for strftime_now; a binding so that the static function can find it.
    private static final String RENDER_TIME_BINDING = "__kvsqueeze_render_time";

    private final String source;
    private final String bosToken;
    private final String eosToken;
    private final Clock clock;
    private final Jinjava jinjava;

    /**
     * @param source   the Jinja template
     * @param bosToken the text {@code bos_token} stands for, e.g. {@code <s>}; empty if the model has none
     * @param eosToken the text {@code eos_token} stands for
     */
    public ChatTemplate(String source, String bosToken, String eosToken) {
        this(source, bosToken, eosToken, Clock.systemDefaultZone());
    }

    ChatTemplate(String source, String bosToken, String eosToken, Clock clock) {
        this.source = Objects.requireNonNull(source, "source");
        this.bosToken = Objects.requireNonNull(bosToken, "bosToken");
        this.eosToken = Objects.requireNonNull(eosToken, "eosToken");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.jinjava = newJinjava();
    }

    /** ChatML with the given special-token texts. */
    public static ChatTemplate chatMl(String bosToken, String eosToken) {
        return new ChatTemplate(CHATML_SOURCE, bosToken, eosToken);
    }

    /**
     * The model's template from {@code tokenizer.chat_template}, or {@link #CHATML_SOURCE} if it has none;
     * {@code bos_token} and {@code eos_token} are the texts of the tokenizer's BOS and EOS tokens.
     */
    public static ChatTemplate fromGguf(GgufMetadata metadata, Tokenizer tokenizer) {
        String source = metadata.getString("tokenizer.chat_template", CHATML_SOURCE);
        return new ChatTemplate(source, tokenText(tokenizer, tokenizer.bosId()), tokenText(tokenizer, tokenizer.eosId()));
    }

    private static String tokenText(Tokenizer tokenizer, int id) {
        return id < 0 ? "" : tokenizer.tokenText(id);
    }

    public String source() {
        return source;
    }

    /**
     * The prompt for {@code messages}.
     *
     * @param addGenerationPrompt whether to end with the opening of an assistant turn, for the model to complete
     * @throws ChatTemplateException if the template fails, with its own message when it calls raise_exception
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> messageMaps = new ArrayList<>(messages.size());
        for (ChatMessage message : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", message.role());
            map.put("content", message.content());
            messageMaps.add(map);
        }
        Map<String, Object> bindings = new HashMap<>();
        bindings.put("messages", messageMaps);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        bindings.put("bos_token", bosToken);
        bindings.put("eos_token", eosToken);
        bindings.put(RENDER_TIME_BINDING, ZonedDateTime.now(clock));

        RenderResult result = jinjava.renderForResult(withoutOneTrailingNewline(source), bindings);
        failOnErrors(result.getErrors());
        return result.getOutput();
    }

    /** Jinja drops a single newline at the end of a template (keep_trailing_newline=False); Jinjava keeps it. */
    private static String withoutOneTrailingNewline(String template) {
        if (template.endsWith("\r\n")) {
            return template.substring(0, template.length() - 2);
        }
        if (template.endsWith("\n") || template.endsWith("\r")) {
            return template.substring(0, template.length() - 1);
        }
        return template;
    }

    private static void failOnErrors(List<TemplateError> errors) {
        for (TemplateError error : errors) {
            for (Throwable cause = error.getException(); cause != null; cause = cause.getCause()) {
                if (cause instanceof TemplateRaisedException raised) {
                    throw new ChatTemplateException("the chat template refused the conversation: " + raised.getMessage());
                }
            }
        }
        List<String> fatal = new ArrayList<>();
        for (TemplateError error : errors) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                fatal.add("line " + error.getLineno() + ": " + error.getMessage());
            }
        }
        if (!fatal.isEmpty()) {
            throw new ChatTemplateException("the chat template could not be rendered: " + String.join("; ", fatal));
        }
    }

    private static Jinjava newJinjava() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        Jinjava jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withElResolver(resolver)
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withFailOnUnknownTokens(false)
                // Python-style printing of lists and dicts, and Jinja's operator precedence.
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUsePyishObjectMapper(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .build())
                .build());
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
        jinjava.getGlobalContext().registerFilter(new PythonJsonFilter());
        return jinjava;
    }

    /** What a template's {@code raise_exception(message)} throws; Jinjava records it as the render's error. */
    private static final class TemplateRaisedException extends RuntimeException {
        TemplateRaisedException(String message) {
            super(message);
        }
    }

    /** Functions templates call; static because Jinjava invokes them reflectively, without an instance. */
    static final class TemplateFunctions {
        private TemplateFunctions() {
        }

        public static String raiseException(String message) {
            throw new TemplateRaisedException(message);
        }

        /** Python's {@code datetime.now().strftime(format)}, at the time the render started. */
        public static String strftimeNow(String format) {
            Object renderTime = JinjavaInterpreter.getCurrent().getContext().get(RENDER_TIME_BINDING);
            ZonedDateTime now = renderTime instanceof ZonedDateTime time ? time : ZonedDateTime.now();
            return StrftimeFormatter.format(now, format, Locale.ENGLISH);
        }
    }
}
