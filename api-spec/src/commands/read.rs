//! Reading a `#[derive(Commands)]` enum: its prefix, each variant's command name, aliases,
//! help line and arguments. Every problem is collected, then reported together.

use std::collections::HashMap;

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Expr, ExprLit, Lit, LitStr, Meta};

/// The enum as the expansion needs it.
pub struct CommandSet {
    /// The enum's name.
    pub ident: syn::Ident,
    /// What every command starts with (`/` unless given).
    pub prefix: String,
    /// The commands, in the order of the variants.
    pub commands: Vec<CommandSpec>,
}

/// One variant: one command.
pub struct CommandSpec {
    /// The variant.
    pub variant: syn::Ident,
    /// The name typed after the prefix.
    pub name: String,
    /// Other names for it.
    pub aliases: Vec<String>,
    /// The first line of its doc comment, for the help text.
    pub about: String,
    /// Its arguments.
    pub fields: Fields,
    /// Where its name and each alias are written (the variant, or the attribute's string).
    spans: Vec<Span>,
}

/// A variant's arguments, in order.
pub enum Fields {
    /// No arguments.
    Unit,
    /// Positional arguments of a tuple variant.
    Tuple(Vec<Param>),
    /// Named arguments of a struct variant.
    Named(Vec<Param>),
}

/// One argument.
pub struct Param {
    /// The field's name (struct variants), shown in the usage.
    pub name: Option<syn::Ident>,
    /// Its type, which reads it from the message.
    pub ty: syn::Type,
}

/// Collects errors into one.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, span: Span, message: impl std::fmt::Display) {
        let e = syn::Error::new(span, message);
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
}

/// Reads the enum, or says everything wrong with it.
pub fn read(item: &DeriveInput) -> Result<CommandSet, syn::Error> {
    let mut errors = Errors::default();
    let Data::Enum(data) = &item.data else {
        return Err(syn::Error::new(
            item.ident.span(),
            "`#[derive(Commands)]` takes an enum: one variant per command",
        ));
    };
    if !item.generics.params.is_empty() {
        errors.push(
            item.generics.span(),
            "a commands enum cannot be generic: each argument's type reads it from the message",
        );
    }
    let prefix = read_prefix(&item.attrs, &mut errors);
    let mut commands = Vec::new();
    let mut taken: HashMap<String, String> = HashMap::new();
    for variant in &data.variants {
        let Some(command) = read_variant(variant, &mut errors) else {
            continue;
        };
        let names = std::iter::once(&command.name).chain(&command.aliases);
        for (name, lit_span) in names.zip(&command.spans) {
            let key = name.to_lowercase();
            if let Some(other) = taken.insert(key, command.variant.to_string()) {
                errors.push(
                    *lit_span,
                    format!("the command name `{name}` is taken by `{other}` already; give one of them another name or alias"),
                );
            }
        }
        commands.push(command);
    }
    if data.variants.is_empty() {
        errors.push(
            item.ident.span(),
            "a commands enum needs at least one variant",
        );
    }
    match errors.0 {
        Some(e) => Err(e),
        None => Ok(CommandSet {
            ident: item.ident.clone(),
            prefix,
            commands,
        }),
    }
}

/// `#[commands(prefix = "…")]`, or `/`.
fn read_prefix(attrs: &[Attribute], errors: &mut Errors) -> String {
    let mut prefix = "/".to_owned();
    for attr in attrs.iter().filter(|a| a.path().is_ident("commands")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("prefix") {
                let lit: LitStr = meta.value()?.parse()?;
                if lit.value().trim().is_empty() || lit.value().contains(char::is_whitespace) {
                    errors.push(
                        lit.span(),
                        "the prefix must be non-empty and without spaces, e.g. `/` or `!`",
                    );
                } else {
                    prefix = lit.value();
                }
                Ok(())
            } else {
                Err(meta.error("unknown key in `#[commands(..)]`; expected `prefix = \"…\"`"))
            }
        });
        if let Err(e) = parsed {
            errors.push(e.span(), e);
        }
    }
    prefix
}

/// One variant's command, or `None` when its attributes are wrong (errors pushed).
fn read_variant(variant: &syn::Variant, errors: &mut Errors) -> Option<CommandSpec> {
    let mut name = snake_case(&variant.ident.to_string());
    let mut aliases = Vec::new();
    let (mut name_span, mut alias_spans) = (variant.ident.span(), Vec::new());
    let mut ok = true;
    for attr in variant
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("command"))
    {
        let parsed = attr.parse_nested_meta(|meta| {
            let key = if meta.path.is_ident("rename") {
                "rename"
            } else if meta.path.is_ident("alias") {
                "alias"
            } else {
                return Err(meta.error(
                    "unknown key in `#[command(..)]`; expected `rename = \"…\"` or `alias = \"…\"`",
                ));
            };
            let lit: LitStr = meta.value()?.parse()?;
            let value = lit.value();
            if value.is_empty() || value.contains(char::is_whitespace) {
                return Err(syn::Error::new(
                    lit.span(),
                    "a command name must be non-empty and without spaces",
                ));
            }
            if key == "rename" {
                name = value;
                name_span = lit.span();
            } else {
                aliases.push(value);
                alias_spans.push(lit.span());
            }
            Ok(())
        });
        if let Err(e) = parsed {
            errors.push(e.span(), e);
            ok = false;
        }
    }
    if let Some((_, discriminant)) = &variant.discriminant {
        errors.push(discriminant.span(), "a command variant takes no `= value`");
        ok = false;
    }
    let fields = match &variant.fields {
        syn::Fields::Unit => Fields::Unit,
        syn::Fields::Unnamed(f) => Fields::Tuple(params(f.unnamed.iter())),
        syn::Fields::Named(f) => Fields::Named(params(f.named.iter())),
    };
    let params = match &fields {
        Fields::Unit => &[][..],
        Fields::Tuple(p) | Fields::Named(p) => &p[..],
    };
    for (i, p) in params.iter().enumerate() {
        if is_rest(&p.ty) && i + 1 != params.len() {
            errors.push(
                p.ty.span(),
                "`Rest` takes the rest of the line, so it must be the last argument",
            );
            ok = false;
        }
    }
    ok.then(|| CommandSpec {
        variant: variant.ident.clone(),
        name,
        aliases,
        about: doc_line(&variant.attrs),
        fields,
        spans: std::iter::once(name_span).chain(alias_spans).collect(),
    })
}

fn params<'a>(fields: impl Iterator<Item = &'a syn::Field>) -> Vec<Param> {
    fields
        .map(|f| Param {
            name: f.ident.clone(),
            ty: f.ty.clone(),
        })
        .collect()
}

/// Whether `ty` names `Rest` (by its last path segment).
fn is_rest(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Rest"))
}

/// The first line of the doc comment, trimmed.
fn doc_line(attrs: &[Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .find_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .unwrap_or_default()
}

/// `GroupInfo` → `group_info`.
fn snake_case(ident: &str) -> String {
    let mut out = String::new();
    for (i, c) in ident.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_default_to_snake_case() {
        assert_eq!(snake_case("Ping"), "ping");
        assert_eq!(snake_case("GroupInfo"), "group_info");
    }

    /// Two problems in one enum are both reported.
    #[test]
    fn every_error_is_collected() {
        let item: DeriveInput = syn::parse_quote! {
            #[commands(prefix = "")]
            enum C {
                #[command(alias = "p")]
                Ping,
                #[command(rename = "p")]
                Pong,
            }
        };
        let Err(errors) = read(&item) else {
            panic!("the enum is refused")
        };
        let errors: Vec<String> = errors.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("prefix"));
        assert!(errors[1].contains("`p` is taken by `Ping`"));
    }
}
