//! Parsing expressions in x: numbers, `x`, the constants `pi` and `e`, `+ − * / ^` (also
//! `**`), unary minus, parentheses and the functions of [`Func`]. Precedence as in
//! mathematics: `^` binds tightest and to the right (`x^2^3 = x^(2^3)`), unary minus next
//! (`-x^2 = −(x²)`, `2^-1 = 1/2`), then `* /`, then `+ −`, all left to right. Names are
//! case-insensitive. Positions in errors are 1-based character positions.

use crate::custom_phi::expr::{Expr, Func};
use crate::custom_phi::PhiError;

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Num(f64),
    Name(String),
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    Open,
    Close,
    End,
}

struct Lexer<'a> {
    chars: Vec<(usize, char)>,
    at: usize,
    text: &'a str,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer { chars: text.chars().enumerate().collect(), at: 0, text }
    }

    fn error(&self, position: usize, message: impl Into<String>) -> PhiError {
        PhiError::Parse { expr: self.text.to_string(), position: position + 1, message: message.into() }
    }

    fn peek_char(&self) -> Option<char> {
        self.chars.get(self.at).map(|&(_, c)| c)
    }

    /// The next token and its 0-based position.
    fn next(&mut self) -> Result<(Token, usize), PhiError> {
        while self.peek_char().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
        let start = self.at;
        let Some(c) = self.peek_char() else {
            return Ok((Token::End, start));
        };
        self.at += 1;
        let token = match c {
            '+' => Token::Plus,
            '-' | '−' => Token::Minus,
            '*' | '·' | '×' => {
                if self.peek_char() == Some('*') {
                    self.at += 1;
                    Token::Caret
                } else {
                    Token::Star
                }
            }
            '/' => Token::Slash,
            '^' => Token::Caret,
            '(' => Token::Open,
            ')' => Token::Close,
            c if c.is_ascii_digit() || c == '.' => {
                self.at -= 1;
                return self.number(start);
            }
            c if c.is_alphabetic() || c == '_' || c == 'π' => {
                let mut name = c.to_lowercase().to_string();
                while let Some(d) = self.peek_char().filter(|d| d.is_alphanumeric() || *d == '_') {
                    name.extend(d.to_lowercase());
                    self.at += 1;
                }
                if name == "π" {
                    name = "pi".into();
                }
                Token::Name(name)
            }
            c => return Err(self.error(start, format!("unexpected character '{c}'"))),
        };
        Ok((token, start))
    }

    /// digits [. digits] [e|E [+|-] digits], or . digits …
    fn number(&mut self, start: usize) -> Result<(Token, usize), PhiError> {
        let mut s = String::new();
        let mut digits = 0;
        let take_digits = |lex: &mut Self, s: &mut String| -> usize {
            let mut n = 0;
            while let Some(d) = lex.peek_char().filter(char::is_ascii_digit) {
                s.push(d);
                lex.at += 1;
                n += 1;
            }
            n
        };
        digits += take_digits(self, &mut s);
        if self.peek_char() == Some('.') {
            s.push('.');
            self.at += 1;
            digits += take_digits(self, &mut s);
        }
        if digits == 0 {
            return Err(self.error(start, "a number needs digits"));
        }
        if matches!(self.peek_char(), Some('e' | 'E')) {
            // An exponent only if digits follow (so that `2e` is not taken for a number).
            let save = self.at;
            let mut exp = String::from("e");
            self.at += 1;
            if let Some(sign) = self.peek_char().filter(|c| *c == '+' || *c == '-') {
                exp.push(sign);
                self.at += 1;
            }
            if take_digits(self, &mut exp) > 0 {
                s.push_str(&exp);
            } else {
                self.at = save;
            }
        }
        let value: f64 = s.parse().map_err(|_| self.error(start, format!("'{s}' is not a number")))?;
        if !value.is_finite() {
            return Err(self.error(start, format!("{s} is too large")));
        }
        Ok((Token::Num(value), start))
    }
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    token: Token,
    position: usize,
}

impl<'a> Parser<'a> {
    fn advance(&mut self) -> Result<(), PhiError> {
        let (t, p) = self.lexer.next()?;
        self.token = t;
        self.position = p;
        Ok(())
    }

    fn error(&self, message: impl Into<String>) -> PhiError {
        self.lexer.error(self.position, message)
    }

    fn sum(&mut self) -> Result<Expr, PhiError> {
        let mut left = self.product()?;
        loop {
            match self.token {
                Token::Plus => {
                    self.advance()?;
                    left = Expr::Add(Box::new(left), Box::new(self.product()?));
                }
                Token::Minus => {
                    self.advance()?;
                    left = Expr::Sub(Box::new(left), Box::new(self.product()?));
                }
                _ => return Ok(left),
            }
        }
    }

    fn product(&mut self) -> Result<Expr, PhiError> {
        let mut left = self.unary()?;
        loop {
            match self.token {
                Token::Star => {
                    self.advance()?;
                    left = Expr::Mul(Box::new(left), Box::new(self.unary()?));
                }
                Token::Slash => {
                    self.advance()?;
                    left = Expr::Div(Box::new(left), Box::new(self.unary()?));
                }
                _ => return Ok(left),
            }
        }
    }

    fn unary(&mut self) -> Result<Expr, PhiError> {
        match self.token {
            Token::Minus => {
                self.advance()?;
                Ok(Expr::Neg(Box::new(self.unary()?)))
            }
            Token::Plus => {
                self.advance()?;
                self.unary()
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Result<Expr, PhiError> {
        let base = self.atom()?;
        if self.token == Token::Caret {
            self.advance()?;
            return Ok(Expr::Pow(Box::new(base), Box::new(self.unary()?)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Expr, PhiError> {
        match self.token.clone() {
            Token::Num(v) => {
                self.advance()?;
                Ok(Expr::Num(v))
            }
            Token::Open => {
                self.advance()?;
                let inner = self.sum()?;
                if self.token != Token::Close {
                    return Err(self.error("expected ')'"));
                }
                self.advance()?;
                Ok(inner)
            }
            Token::Name(name) => {
                let at = self.position;
                self.advance()?;
                match name.as_str() {
                    "x" => return Ok(Expr::X),
                    "pi" => return Ok(Expr::Num(std::f64::consts::PI)),
                    "e" => return Ok(Expr::Num(std::f64::consts::E)),
                    _ => {}
                }
                let Some(func) = Func::from_name(&name) else {
                    let expr = self.lexer.text.to_string();
                    return Err(if self.token == Token::Open {
                        PhiError::UnknownFunction { expr, name, position: at + 1 }
                    } else {
                        PhiError::UnknownVariable { expr, name, position: at + 1 }
                    });
                };
                if self.token != Token::Open {
                    return Err(self.error(format!("expected '(' after '{name}'")));
                }
                self.advance()?;
                let arg = self.sum()?;
                if self.token != Token::Close {
                    return Err(self.error(format!("expected ')' to close '{name}('")));
                }
                self.advance()?;
                Ok(Expr::Call(func, Box::new(arg)))
            }
            Token::End => Err(self.error("the expression ends where an operand is expected")),
            Token::Close => Err(self.error("unexpected ')'")),
            _ => Err(self.error("expected a number, x, a function or '('")),
        }
    }
}

/// The expression tree of `text`.
///
/// # Errors
/// [`PhiError::Parse`] (with the 1-based position), [`PhiError::UnknownFunction`],
/// [`PhiError::UnknownVariable`], or [`PhiError::Empty`] for blank text.
pub fn parse(text: &str) -> Result<Expr, PhiError> {
    if text.trim().is_empty() {
        return Err(PhiError::Empty);
    }
    let mut parser = Parser { lexer: Lexer::new(text), token: Token::End, position: 0 };
    parser.advance()?;
    let expr = parser.sum()?;
    if parser.token != Token::End {
        return Err(parser.error("unexpected text after the expression"));
    }
    Ok(expr)
}
