-- Tokens made before roles existed could do everything; they keep doing so as admin (issue 17).
UPDATE "api_tokens" SET "roles" = ARRAY['admin']::text[] WHERE cardinality("roles") = 0;
